// A running container's network face: a real TCP or HTTP listener on its veth address (only
// 127.0.0.0/8 addresses, so tests stay on loopback), open while it runs.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { once } from 'node:events';

export interface ListenSpec {
  port: number;
  /** `http` answers every request with `status`/`body`; `tcp` accepts connections. */
  kind: 'tcp' | 'http';
  status?: number;
  body?: string;
}

export class ContainerListener {
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: HttpServer | TcpServer) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async open(host: string, spec: ListenSpec, onRequest: (line: string) => void): Promise<ContainerListener> {
    const server =
      spec.kind === 'http'
        ? createHttpServer((req, res) => {
            const status = spec.status ?? 200;
            onRequest(`${req.method} ${req.url} ${status}`);
            res.writeHead(status, { 'content-type': 'text/plain' }).end(spec.body ?? 'ok\n');
          })
        : createTcpServer((s) => s.on('error', () => undefined));
    server.listen(spec.port, host);
    await once(server, 'listening');
    return new ContainerListener(server);
  }

  /** Closes the listener and drops open connections, like a process that exited. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** The first IPv4 address of a veth's `address` list if it is in 127.0.0.0/8. */
export function loopbackAddress(vethAddress: string): string | undefined {
  for (const a of vethAddress.split(',')) {
    const ip = a.trim().split('/')[0] ?? '';
    if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip)) return ip;
  }
  return undefined;
}
