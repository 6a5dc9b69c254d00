// The status page in a real headless Chromium (Debian's chromium, over the DevTools protocol)
// against the all-in-one process on the simulator — the ops port vk-provider's standalone part
// shares with every service there: the table, the boot-order graph, the router's resources and
// the events show what the status API and the router say, and a pod that crashes or is removed
// changes the open page in place, without a reload. Screenshots go to tmp/status-page/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { type Browser, chromiumUnavailable, repoRoot, startChromium } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allInOneComponents, DEMO_PASSWORD, DEMO_USER, podNetwork, pods, showcase, startStack, type Stack } from '@mikrotik-kube/demo-stack';

const skip = chromiumUnavailable();
if (skip) console.warn(`[status-page] SKIPPED: ${skip}`);

const SHOTS = join(repoRoot, 'tmp/status-page');

interface PageView {
  rows: Array<{ key: string; health: string; ready: string; status: string; restarts: string; ip: string }>;
  units: Array<{ key: string; health: string; status: string; drawn: boolean }>;
  edges: string[][];
  router: Record<string, string>;
  events: Array<{ reason: string; object: string }>;
  live: string;
}

// Read in the page, from what the browser rendered (getBBox: the SVG box was laid out).
const READ_PAGE = `(() => {
  const text = (el, sel) => el.querySelector(sel)?.textContent ?? '';
  return {
    rows: [...document.querySelectorAll('#pods tbody tr[data-key]')].map((tr) => ({
      key: tr.dataset.key, health: tr.dataset.health, ready: text(tr, 'td.ready'), status: text(tr, 'td.status'), restarts: text(tr, 'td.restarts'), ip: text(tr, 'td.ip'),
    })),
    units: [...document.querySelectorAll('#boot-graph g.unit')].map((g) => ({ key: g.dataset.key, health: g.dataset.health, status: g.dataset.status, drawn: g.getBBox().width > 100 })),
    edges: [...document.querySelectorAll('#boot-graph path.edge')].map((e) => [e.dataset.from, e.dataset.to]),
    router: Object.fromEntries([...document.querySelectorAll('#router [data-field]')].map((d) => [d.dataset.field, text(d, 'dd')])),
    events: [...document.querySelectorAll('#events tbody tr')].map((tr) => ({ reason: tr.dataset.reason, object: tr.dataset.object })),
    live: document.getElementById('live-state').textContent,
  };
})()`;

const keyOf = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
const restarts = (p: V1Pod) => String((p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0));

describe.skipIf(!!skip)(`status page in headless Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let stack: Stack;
  let status: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack(allInOneComponents, { network: podNetwork(21 + ((process.pid + 31) % 200), Math.floor(Math.random() * 250)) });
    status = stack.ctx.urls['status'] as string;
    await showcase(stack.ctx, 150_000);
    browser = await startChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows the pods, the boot-order graph, the router and the events the status API and the router report', async () => {
    const list = await pods(status);
    await browser.goto(`${status}/`);
    // The page's own script ran (the Content-Security-Policy let it) and re-read the view.
    await browser.waitFor(`document.getElementById('live-state').textContent === 'live'`, 10_000);
    const page = await browser.evaluate<PageView>(READ_PAGE);
    await browser.screenshot(join(SHOTS, 'running.png'));

    expect(page.rows).toEqual(
      list.map((p) => ({ key: keyOf(p), health: 'ready', ready: '1/1', status: p.status?.phase, restarts: restarts(p), ip: p.status?.podIP })),
    );
    expect(page.rows.map((r) => r.key)).toEqual(['infra/dns', 'default/db', 'default/web', 'default/worker']);
    expect(page.units).toEqual(list.map((p) => ({ key: keyOf(p), health: 'ready', status: 'Running', drawn: true })));
    // deploy/boot-order.yaml's mikrotik.io/depends-on, as the pods in the API carry it.
    const dependsOn = list.flatMap((p) =>
      (p.metadata?.annotations?.['mikrotik.io/depends-on'] ?? '').split(',').filter((d) => d.trim()).map((d) => [d.includes('/') ? d.trim() : `${p.metadata?.namespace}/${d.trim()}`, keyOf(p)]),
    );
    expect(page.edges).toEqual(dependsOn);
    expect(page.edges).toEqual([
      ['infra/dns', 'default/db'],
      ['default/db', 'default/web'],
      ['default/web', 'default/worker'],
      ['infra/dns', 'default/worker'],
    ]);
    const auth = `Basic ${Buffer.from(`${DEMO_USER}:${DEMO_PASSWORD}`).toString('base64')}`;
    const res = (await (await fetch(`${stack.ctx.urls['rest']}/system/resource`, { headers: { authorization: auth } })).json()) as Record<string, string>;
    expect(page.router).toMatchObject({ version: res['version'], architecture: res['architecture-name'], board: res['board-name'] });
    for (const p of list) expect(page.events).toContainEqual({ reason: 'Started', object: `pod/${keyOf(p)}` });
    expect(page.live).toBe('live');
  });

  it('changes in place, without a reload, when a pod crashes and comes back, and when one is removed — as the status API says', async () => {
    await browser.evaluate(`window.notReloaded = true`);
    const crash = await fetch(`${stack.ctx.urls['simAdmin']}/containers/default_worker_worker/crash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ exitCode: 1 }) });
    expect(crash.status).toBe(200);
    // Its back-off lasts 2 s, about one refresh of the page: what stays is the restart and the event.
    const restarted = `(() => {
      const row = document.querySelector('#pods tr[data-key="default/worker"]');
      const backoff = [...document.querySelectorAll('#events tbody tr')].some((tr) => tr.dataset.reason === 'BackOff' && tr.dataset.object === 'pod/default/worker');
      return window.notReloaded && backoff && row?.dataset.health === 'ready' && row.querySelector('td.restarts').textContent === '1';
    })()`;
    await browser.waitFor(restarted, 30_000);
    const worker = (await pods(status)).find((p) => p.metadata?.name === 'worker') as V1Pod;
    expect(worker.status?.containerStatuses?.[0]).toMatchObject({ ready: true, restartCount: 1 });
    let page = await browser.evaluate<PageView>(READ_PAGE);
    expect(page.units.map((u) => u.health)).toEqual(['ready', 'ready', 'ready', 'ready']);
    await browser.screenshot(join(SHOTS, 'restarted.png'));

    // worker out of the pods file: its row, box and arrow go.
    const file = stack.ctx.urls['podsFile'] as string;
    const docs = readFileSync(file, 'utf8').split(/^---$/m).filter((d) => !/^\s*name: worker$/m.test(d));
    writeFileSync(file, docs.join('---'));
    await browser.waitFor(`!document.querySelector('#pods tr[data-key="default/worker"]') && !document.querySelector('#boot-graph g.unit[data-key="default/worker"]') && window.notReloaded`, 30_000);
    page = await browser.evaluate<PageView>(READ_PAGE);
    const list = await pods(status);
    expect(page.rows.map((r) => r.key)).toEqual(list.map(keyOf));
    expect(list.map(keyOf)).toEqual(['infra/dns', 'default/db', 'default/web']);
    expect(page.edges).toEqual([
      ['infra/dns', 'default/db'],
      ['default/db', 'default/web'],
    ]);
    expect(page.units.map((u) => u.key)).toEqual(['infra/dns', 'default/db', 'default/web']);
    expect(page.events).toContainEqual({ reason: 'Killing', object: 'pod/default/worker' });
    await browser.screenshot(join(SHOTS, 'removed.png'));
  }, 90_000);
});
