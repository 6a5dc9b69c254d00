// test/probe:1, the image the real-container suites run (busybox-static and two scripts):
// /report.sh writes what the process got (argv, env, cwd, uid/gid, the files in /config, hostname) to
// /data/report and stays up; /web.sh serves HTTP (busybox httpd) with /healthz until that
// file is gone, then the server hangs (SIGSTOP: connections are accepted, never answered)
// while the container runs on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { busyboxLayer } from '@mikrotik-kube/routeros-sim';
import { hostArchitecture, type Stack, type StackImage } from '@mikrotik-kube/demo-stack';

export const PROBE_IMAGE = 'registry.local:5000/test/probe:1';

// Each script ends on TERM at once (PID 1 ignores signals it has no handler for).
const IDLE = 'sleep 2147483647 & trap "kill $!; exit 0" TERM; wait';
const REPORT = `#!/bin/sh
out=/data/report
{
  for a in "$0" "$@"; do echo "arg=$a"; done
  env | sort | sed 's/^/env=/'
  echo "cwd=$(pwd)"
  echo "uid=$(id -u) gid=$(id -g)"
  for f in /config/*; do [ -f "$f" ] && echo "file=\${f#/config/}=$(cat "$f")"; done
  echo "hostname=$(hostname)"
} > $out.tmp && busybox mv $out.tmp $out
${IDLE}
`;
const WEB = `#!/bin/sh
mkdir -p /www && echo ok > /www/healthz
httpd -f -p 8080 -h /www & pid=$!
trap "kill $pid; exit 0" TERM
echo "web: serving"
while [ -e /www/healthz ]; do sleep 1; done
kill -STOP $pid
echo "web: stopped answering"
${IDLE}
`;

/** The image, for the stack to push to its registry. */
export function probeImage(): StackImage {
  return {
    repo: 'test/probe',
    tag: '1',
    spec: {
      architecture: hostArchitecture(),
      entrypoint: ['/report.sh'],
      layers: [busyboxLayer(), [{ name: 'report.sh', data: REPORT, mode: 0o755 }, { name: 'web.sh', data: WEB, mode: 0o755 }]],
    },
  };
}

export interface Report {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  uid: string;
  gid: string;
  /** /config/<name> → its contents (one line each). */
  files: Record<string, string>;
  hostname: string;
}

/** Parses what /report.sh wrote (the file on the router). */
export function readReport(file: string): Report {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const one = (k: string) => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
  const ids = /^uid=(\d+) gid=(\d+)$/.exec(lines.find((l) => l.startsWith('uid=')) ?? '');
  return {
    argv: lines.filter((l) => l.startsWith('arg=')).map((l) => l.slice(4)),
    env: Object.fromEntries(lines.filter((l) => l.startsWith('env=')).map((l) => [l.slice(4, l.indexOf('=', 4)), l.slice(l.indexOf('=', 4) + 1)])),
    cwd: one('cwd'),
    uid: ids?.[1] ?? '',
    gid: ids?.[2] ?? '',
    files: Object.fromEntries(lines.filter((l) => l.startsWith('file=')).map((l) => [l.slice(5, l.indexOf('=', 5)), l.slice(l.indexOf('=', 5) + 1)])),
    hostname: one('hostname'),
  };
}

/** A file on the router (the simulator's files) as a host path. */
export const routerPath = (stack: Stack, path: string) => join(stack.ctx.dataDir, 'router', 'files', path);

/** Where the report of container `name` lands: in the router directory mounted at its /data. */
export async function reportFile(router: RouterOsClient, stack: Stack, name: string): Promise<string> {
  const c = await router.containers.get(name);
  const mount = (await router.containers.mounts.list()).find((m) => c.mountLists.includes(m.list) && m.dst === '/data');
  if (!mount) throw new Error(`container ${name} has no mount at /data`);
  return routerPath(stack, `${mount.src}/report`);
}
