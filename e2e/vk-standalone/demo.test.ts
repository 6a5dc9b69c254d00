// `make demo`'s orchestrator as a user runs it: it starts everything, prints
// every pod Running and the status page's URL, and on Ctrl-C (SIGINT) stops all it started and exits 0.
// Where containers can run for real, the web pod is busybox httpd a user can curl.
import { busyboxUnavailable, realRuntimeUnavailable } from '@mikrotik-kube/routeros-sim';
import { repoRoot, startProcess } from '@mikrotik-kube/test-support';
import { describe, expect, it } from 'vitest';

const emulated = busyboxUnavailable() ?? realRuntimeUnavailable();

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('make demo orchestrator', () => {
  it('starts the system, shows every pod Running, and exits 0 on SIGINT leaving no process', async () => {
    const demo = startProcess(process.execPath, ['--import', 'tsx', 'tools/demo/demo.ts'], { cwd: repoRoot });
    try {
      await demo.waitForLine(/demo: all \d+ pods Running/, 240_000);
      await demo.waitForLine(/press Ctrl-C to stop/, 10_000);
    } catch (e) {
      await demo.stop('SIGINT');
      throw e;
    }
    const out = demo.output();
    const pids = [...out.matchAll(/demo: started (\S+) \(pid (\d+)\)/g)].map((m) => ({ name: m[1], pid: Number(m[2]) }));
    expect(pids.map((p) => p.name)).toEqual(['routeros-sim', 'registry', 'ipam', 'storage-converter', 'boot-supervisor', 'vk-provider']);
    const table = out.slice(out.indexOf('BOOT '), out.indexOf('demo: all'));
    const rows = table.split('\n').filter((l) => /^\d+\s/.test(l));
    expect(rows.map((r) => r.split(/\s+/).slice(1, 5))).toEqual([
      ['infra', 'dns', '1/1', 'Running'],
      ['default', 'db', '1/1', 'Running'],
      ['default', 'web', '1/1', 'Running'],
      ['default', 'worker', '1/1', 'Running'],
    ]);
    if (emulated) {
      expect(out).toMatch(/containers are emulated, no process runs/);
    } else {
      // No listener stands in (the simulator refuses one for real containers): web is Ready
      // because its readiness probe reached httpd, which the user reaches too.
      expect(out).toMatch(/containers run for real \(runc\)/);
      const url = /the web pod is busybox httpd — try: curl (http:\/\/[\d.]+:8080\/)/.exec(out)?.[1] as string;
      expect(url).toBeDefined();
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      expect(`${res.status} ${await res.text()}`).toBe('200 hello from web: busybox httpd in a RouterOS container\n');
      expect(await (await fetch(new URL('/healthz', url))).text()).toBe('ok\n');
    }

    // The status page's URL, printed for the user, serves the page.
    const page = /demo: status page .*: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out)?.[1] as string;
    expect(page).toBeDefined();
    const res = await fetch(page);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toMatch(/<svg id="boot-graph"[\s\S]*data-key="default\/worker"/);

    const exit = await demo.stop('SIGINT', 60_000);
    expect(exit).toEqual({ code: 0, signal: null });
    for (const p of pids) expect(alive(p.pid), `${p.name} (pid ${p.pid}) still running`).toBe(false);
    expect(demo.output()).toMatch(/demo: routeros-sim stopped \(0\)/);
  }, 330_000);
});
