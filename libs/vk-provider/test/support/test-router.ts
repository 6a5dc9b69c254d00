// For the kubelet API tests: an in-process RouterOS simulator with a local image tarball
// (disk1/app.tar) and containers made from it on veths of their own, as vk-provider's pods
// would be — so logs and usage come from real /container rows.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RouterOsClient, type RouterOsClientOptions } from '@mikrotik-kube/routeros-rest';
import { Simulator, dockerArchive, type SimulatorUrls } from '@mikrotik-kube/routeros-sim';

export interface TestRouter {
  sim: Simulator;
  urls: SimulatorUrls;
  router: RouterOsClient;
  /** Adds a container from disk1/app.tar on a new veth and waits until it is stopped or (start) running; returns its id. */
  addContainer(c: { name: string; veth: string; address: string; logging?: boolean; start?: boolean }): Promise<string>;
  /** Closes the client and stops the simulator. */
  stop(): Promise<void>;
}

export async function startTestRouter(version: string, client: Partial<RouterOsClientOptions> = {}): Promise<TestRouter> {
  const sim = new Simulator({ version, users: { admin: 'pw' }, faults: { extractMs: 20 } });
  const urls = await sim.start();
  const router = new RouterOsClient({ url: urls.rest, username: 'admin', password: 'pw', ...client });
  const tar = sim.context.files.resolve('disk1/app.tar');
  mkdirSync(dirname(tar), { recursive: true });
  writeFileSync(tar, await dockerArchive({ architecture: 'arm64' }));
  return {
    sim,
    urls,
    router,
    async addContainer({ name, veth, address, logging, start = true }) {
      await router.veths.add({ name: veth, addresses: [address] });
      const c = await router.containers.add({ name, file: 'disk1/app.tar', interfaces: [veth], ...(logging ? { logging } : {}) });
      await router.containers.waitFor(c.id, ['stopped'], { intervalMs: 20, timeoutMs: 10_000 });
      if (start) {
        await router.containers.start(c.id);
        await router.containers.waitFor(c.id, ['running'], { intervalMs: 20 });
      }
      return c.id;
    },
    async stop() {
      router.close();
      await sim.stop();
    },
  };
}
