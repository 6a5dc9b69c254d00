// mkube — the standalone operator's command line.
//   mkube status [--url http://127.0.0.1:8080] [--json]
// reads GET /api/v1/pods from vk-provider's ops port and prints the pods in boot order.
import { parseArgs } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { renderStatus } from '@mikrotik-kube/vk-provider';

const USAGE = 'usage: mkube status [--url http://127.0.0.1:8080] [--json]\n';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string', default: process.env['MKUBE_URL'] ?? 'http://127.0.0.1:8080' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help || positionals[0] !== 'status' || positionals.length !== 1) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  const url = `${values.url.replace(/\/$/, '')}/api/v1/pods`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    process.stderr.write(`mkube: cannot reach ${url}: ${(e as Error).message}\n`);
    return 1;
  }
  if (!res.ok) {
    process.stderr.write(`mkube: ${url} answered ${res.status}\n`);
    return 1;
  }
  const list = (await res.json()) as { items: V1Pod[] };
  process.stdout.write(values.json ? `${JSON.stringify(list, null, 2)}\n` : renderStatus(list.items));
  return 0;
}

process.exitCode = await main();
