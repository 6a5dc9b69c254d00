// `npm run convert -- <image> --arch arm64 -o out.tar [--registry URL] [--username U]`
// Converts one image to the docker-save tarball RouterOS loads, with a progress bar on a
// terminal. Without --registry it pulls from the image's own registry (plain HTTP for
// localhost/127.x); the password comes from $REGISTRY_PASSWORD, never from argv.
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RegistryClient, apiHost } from '@mikrotik-kube/oci';
import { Converter, ImageSource, parseImage, parseRouterArch, progressPrinter, StorageError } from '@mikrotik-kube/storage-converter';

const USAGE = 'usage: convert <image> --arch arm64|arm|x86 -o <out.tar> [--registry URL] [--username USER] [--arm-variants v7,v6,v5]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      arch: { type: 'string' },
      output: { type: 'string', short: 'o' },
      registry: { type: 'string' },
      username: { type: 'string' },
      'arm-variants': { type: 'string', default: 'v7,v6,v5' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const image = positionals[0];
  if (!image || positionals.length > 1 || !values.arch || !values.output) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const arch = parseRouterArch(values.arch);
  const armVariants = values['arm-variants'].split(',').filter(Boolean);
  const ref = parseImage(image);
  const local = /^(localhost|127\.|\[::1\])/.test(ref.registry);
  const baseUrl = values.registry ?? `${local ? 'http' : 'https'}://${apiHost(ref.registry)}`;
  const password = process.env['REGISTRY_PASSWORD'];
  const client = new RegistryClient({ baseUrl, userAgent: 'mikrotik-kube-convert', ...(values.username ? { credentials: { username: values.username, password: password ?? '' } } : {}) });
  const source = new ImageSource({
    client,
    ownHosts: values.registry ? [new URL(values.registry).host] : [ref.registry],
    upstreams: values.registry ? { 'docker.io': 'dockerhub', 'ghcr.io': 'ghcr' } : {},
    armVariants,
  });
  const out = resolve(values.output);
  const work = await mkdtemp(`${dirname(out)}/.convert-`);
  const bar = progressPrinter(process.stderr);
  try {
    bar.update({ phase: 'resolve', bytesDone: 0, bytesTotal: 0, message: image });
    const resolved = await source.resolve(image, arch);
    const r = await new Converter(source, armVariants, work).convert(resolved, arch, out, (p) => bar.update(p));
    bar.done();
    process.stdout.write(`${out}: ${resolved.manifestDigest} (${arch}) config ${r.configDigest}, ${r.size} bytes\n`);
    return 0;
  } finally {
    bar.done();
    await rm(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const kind = err instanceof StorageError ? err.kind : 'error';
    process.stderr.write(`convert: ${kind}: ${(err as Error).message}\n`);
    process.exit(err instanceof StorageError && err.kind === 'invalid' ? 2 : 1);
  },
);
