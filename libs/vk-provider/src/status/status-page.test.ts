// The status page's pure parts: the boot graph's layers and health, escaping of what pods and
// the router say, and the Content-Security-Policy naming exactly the inline script and style.
// (The page in a real browser: e2e/all-in-one/status-page.test.ts.)
import { createHash } from 'node:crypto';
import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { bootGraph, podHealth } from './boot-graph';
import { RecentEvents } from './recent-events';
import { PAGE_HEADERS, renderStatusPage } from './status-page';

const pod = (ns: string, name: string, o: { deps?: string; boot?: number; state?: Record<string, unknown>; ready?: boolean; phase?: string; message?: string } = {}): V1Pod => ({
  metadata: {
    namespace: ns,
    name,
    annotations: { ...(o.deps ? { 'mikrotik.io/depends-on': o.deps } : {}), ...(o.boot !== undefined ? { 'status.mikrotik.io/boot-index': String(o.boot) } : {}) },
  },
  status: {
    phase: o.phase ?? 'Running',
    ...(o.message ? { reason: 'InvalidPod', message: o.message } : {}),
    containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: o.ready ?? true, restartCount: 0, state: (o.state ?? { running: {} }) as V1ContainerState }],
  },
});

describe('boot graph', () => {
  it('puts each pod one layer right of the deepest pod it depends on, with edges from dependencies and missing ones marked', () => {
    const g = bootGraph([
      pod('default', 'web', { deps: 'db, infra/dns', boot: 2 }),
      pod('default', 'db', { deps: 'infra/dns', boot: 1 }),
      pod('infra', 'dns', { boot: 0 }),
      pod('default', 'worker', { deps: 'web, queue', boot: 3 }),
    ]);
    expect(g.nodes.map((n) => [n.key, n.layer, n.health])).toEqual([
      ['infra/dns', 0, 'ready'],
      ['default/queue', 0, 'missing'],
      ['default/db', 1, 'ready'],
      ['default/web', 2, 'ready'],
      ['default/worker', 3, 'ready'],
    ]);
    expect(g.edges).toEqual([
      { from: 'infra/dns', to: 'default/db' },
      { from: 'default/db', to: 'default/web' },
      { from: 'infra/dns', to: 'default/web' },
      { from: 'default/web', to: 'default/worker' },
      { from: 'default/queue', to: 'default/worker' },
    ]);
  });

  it('survives a cycle (the supervisor refuses it; the graph still draws it)', () => {
    const g = bootGraph([pod('default', 'a', { deps: 'b' }), pod('default', 'b', { deps: 'a' })]);
    expect(g.nodes.map((n) => n.key).sort()).toEqual(['default/a', 'default/b']);
    expect(g.edges).toHaveLength(2);
  });

  it('tells health from the container states', () => {
    expect(podHealth(pod('d', 'p', { ready: false }))).toBe('unready');
    expect(podHealth(pod('d', 'p', { ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } }))).toBe('backoff');
    expect(podHealth(pod('d', 'p', { ready: false, phase: 'Failed', state: { terminated: { exitCode: 1 } } }))).toBe('failed');
    expect(podHealth(pod('d', 'p', { ready: false, phase: 'Pending', state: { waiting: { reason: 'WaitingForDependencies' } } }))).toBe('waiting');
    expect(podHealth(pod('d', 'p', { ready: false, phase: 'Pending', state: { waiting: { reason: 'InvalidPod' } }, message: 'bad' }))).toBe('failed');
  });
});

describe('status page', () => {
  const hostile = '<script>alert("x")</script>';
  const events = new RecentEvents();
  events.emit('default/evil', 'c', 'Warning', 'Failed', hostile);
  events.emit('default/evil', 'c', 'Warning', 'Failed', hostile);
  const html = renderStatusPage({
    title: `node ${hostile}`,
    pods: [pod('default', 'evil', { ready: false, phase: 'Pending', state: { waiting: { reason: 'InvalidPod', message: hostile } }, message: hostile })],
    events: events.latest(10),
    router: { error: hostile, at: Date.now() },
    now: Date.now(),
  });

  it('escapes every name and message (one script element: its own)', () => {
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('×2'); // the repeat was counted, not listed twice
  });

  it('allows by hash exactly the inline script and style, and nothing from elsewhere', () => {
    const hash = (tag: string) => `'sha256-${createHash('sha256').update(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)?.[1] ?? '').digest('base64')}'`;
    const csp = PAGE_HEADERS['content-security-policy'];
    expect(csp).toContain(`script-src ${hash('script')};`);
    expect(csp).toContain(`style-src ${hash('style')};`);
    expect(csp).toMatch(/^default-src 'none';/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
