// Starts the RouterOS simulator with its SSH face on a loopback port, plus a client for it.
import { Simulator, diskPlugin, sshPlugin, type SshPlugin } from '@mikrotik-kube/routeros-sim';
import { RdsClient, type RdsClientOptions } from '../src';

export const BASE = '/storage-pool/metal-csi';
export const GiB = 1024 ** 3;

export interface SimHandle {
  sim: Simulator;
  ssh: SshPlugin;
  port: number;
  fingerprint: string;
  client(over?: Partial<RdsClientOptions>): RdsClient;
  /** Command lines the SSH server received. */
  history(): string[];
  stop(): Promise<void>;
}

export async function startSim(o: { version?: string; poolBytes?: number; authorizedKeys?: Record<string, string[]> } = {}): Promise<SimHandle> {
  const ssh = sshPlugin({ port: 0, authorizedKeys: o.authorizedKeys, maxSessions: 4 });
  const sim = new Simulator({ users: { admin: 'pw' }, version: o.version ?? '7.21', plugins: [diskPlugin({ poolBytes: o.poolBytes }), ssh] });
  const urls = await sim.start();
  const port = Number(new URL(urls['ssh'] as string).port);
  const fingerprint = urls['ssh-host-key'] as string;
  const clients: RdsClient[] = [];
  return {
    sim,
    ssh,
    port,
    fingerprint,
    client(over = {}) {
      const c = new RdsClient({
        host: '127.0.0.1',
        port,
        username: 'admin',
        password: 'pw',
        hostKey: { pins: [fingerprint] },
        volumeBases: [BASE],
        backoffInitialMs: 50,
        ...over,
      });
      clients.push(c);
      return c;
    },
    history: () => [...ssh.server().history],
    async stop() {
      for (const c of clients) c.close();
      await sim.stop();
    },
  };
}
