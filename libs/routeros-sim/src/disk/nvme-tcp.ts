// The RDS's NVMe/TCP face, as far as a test host without nvme-tcp can use it: on its storage
// address the simulator listens on every port an exported file disk is served on
// (`nvme-tcp-server-port`), following `/disk` changes. A connection is a small handshake, not
// NVMe/TCP: the client sends `NQN <subsystem nqn>\n`; the answer is `OK <backing file>\n`
// when a disk exported on that port has that NQN (7.21+: nvme-tcp-server-nqn; before: the
// slot), else `ERR <reason>\n`. The nvme-cli stand-in (apps/csi-node/test/support) connects
// here at the traddr:trsvcid the node gives it, so a node that dials the wrong address fails.
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { DISK_MENU } from '../menus/disk';
import type { SimContext, SimPlugin } from '../plugin';
import type { Row } from '../state/values';

const MAX_LINE = 512;

export interface NvmeTcpOptions {
  /** The storage-network address to listen on (an address of a namespace or 127.x of its own). */
  host: string;
}

const exported = (r: Row) => r['type'] === 'file' && r['nvme-tcp-export'] === 'true';
const portOf = (r: Row) => Number(r['nvme-tcp-server-port'] || '4420');

function answer(ctx: SimContext, port: number, line: string): string {
  const m = /^NQN (\S+)$/.exec(line);
  if (!m) return 'ERR expected "NQN <subsystem nqn>"';
  const nqn = m[1];
  const disk = ctx.state
    .menu(DISK_MENU)
    .rows()
    .find((r) => exported(r) && portOf(r) === port && ((r['nvme-tcp-server-nqn'] || r['slot']) === nqn));
  if (!disk?.['file-path']) return `ERR no subsystem ${nqn} on port ${port}`;
  return `OK ${ctx.files.resolve(disk['file-path'])}`;
}

function serve(ctx: SimContext, port: number, socket: Socket): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.setTimeout(5000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl < 0 && buf.length < MAX_LINE) return;
    socket.end(`${answer(ctx, port, (nl < 0 ? buf : buf.slice(0, nl)).trim())}\n`);
  });
}

export function nvmeTcpPlugin(o: NvmeTcpOptions): SimPlugin {
  return {
    name: 'nvme-tcp',
    async start(ctx) {
      const servers = new Map<number, Server>();
      const log = (m: string) => ctx.log('disk,error', m);
      // Listeners follow the exported ports: opened when a disk is exported there, closed when none is.
      const sync = () => {
        const want = new Set(ctx.state.menu(DISK_MENU).rows().filter(exported).map(portOf));
        for (const [port, s] of servers) {
          if (want.has(port)) continue;
          servers.delete(port);
          s.close();
        }
        for (const port of want) {
          if (servers.has(port)) continue;
          const s = createServer((sock) => serve(ctx, port, sock));
          s.on('error', (e) => {
            log(`nvme-tcp ${o.host}:${port}: ${e.message}`);
            servers.delete(port);
          });
          s.listen(port, o.host);
          servers.set(port, s);
        }
      };
      const off = ctx.state.onChange((e) => e.menu === DISK_MENU && sync());
      sync();
      await Promise.all([...servers.values()].map((s) => (s.listening ? undefined : once(s, 'listening').catch(() => undefined))));
      return {
        urls: { 'nvme-tcp': o.host },
        async stop() {
          off();
          await Promise.all([...servers.values()].map((s) => new Promise((r) => s.close(r))));
        },
      };
    },
  };
}
