// Images for the demo and the e2e tests, built here without internet: Debian's busybox-static
// (routeros-sim's image fixtures) plus the app's files, pushed to our registry as a user's
// image would be. The demo's `/app` is one busybox shell script that plays every pod of
// deploy/boot-order.yaml; the web pod is a real HTTP server (busybox httpd).
import { MediaType, RegistryClient, digestOf } from '@mikrotik-kube/oci';
import { busyboxLayer, busyboxUnavailable, ociImage, type ImageSpec } from '@mikrotik-kube/routeros-sim';

/** An image to push: `<registry>/<repo>:<tag>` made from `spec`. */
export interface StackImage {
  repo: string;
  tag: string;
  spec: ImageSpec;
}

/** OCI architecture of this machine: the simulator is set up as a router of it, so images run. */
export const hostArchitecture = () => (process.arch === 'arm64' ? 'arm64' : 'amd64');

// PID 1 of a container ignores signals it has no handler for, so every mode traps TERM: a
// RouterOS stop ends it at once instead of after stop-time.
const APP = `#!/bin/sh
idle() { sleep 2147483647 & trap "kill $! 2>/dev/null; exit 0" TERM INT; wait; }
case "$1" in
  --zone) echo "dns: answering for zone $2 (a stand-in, no DNS server)"; idle ;;
  --data)
    echo "db: '$4' keeps its data in $2"
    { date > "$2/started"; } 2>/dev/null || echo "db: $2 is not writable for uid $(id -u)"
    idle ;;
  --listen)
    port=\${2#*:}
    mkdir -p /www && echo ok > /www/healthz
    echo "hello from $(hostname): busybox httpd in a RouterOS container" > /www/index.html
    httpd -f -p "$port" -h /www & pid=$!
    trap "kill $pid; exit 0" TERM INT
    echo "web: listening on :$port"
    wait $pid ;;
  worker) echo "worker: started, web is $WEB_URL"; idle ;;
  *) echo "mikrotik-kube demo: $*"; idle ;;
esac
`;

/** demo/app: busybox and `/app` (only `/app` where busybox-static is missing: the simulator then emulates). */
export function demoAppImage(architecture = hostArchitecture()): ImageSpec {
  return {
    architecture,
    entrypoint: ['/app'],
    cmd: [],
    env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
    layers: [...(busyboxUnavailable() ? [] : [busyboxLayer()]), [{ name: 'app', data: APP, mode: 0o755 }]],
  };
}

/** Pushes the image's blobs, then its manifest, to `registryUrl`/`repo`:`tag`. */
export async function pushImage(registryUrl: string, image: StackImage): Promise<void> {
  const client = new RegistryClient({ baseUrl: registryUrl, userAgent: 'mikrotik-kube-demo' });
  const { manifest, config, layers } = await ociImage(image.spec);
  for (const b of [config, ...layers]) await client.pushBlob(image.repo, digestOf(b), b.length, b);
  await client.pushManifest(image.repo, image.tag, manifest, MediaType.ociManifest);
}
