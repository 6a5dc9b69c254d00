// The watchdog for real: containers in the simulator exit, stop answering
// their liveness probe, and the router reboots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '@mikrotik-kube/grpc-kit';
import { waitFor } from '@mikrotik-kube/test-support';
import { record, SimRouter, startSupervisor, unit, type SupervisorProcess } from './harness';

/** The value of a sample whose labels include `labels` (the kit adds service="…"). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return NaN;
}

describe('watchdog against the simulator', () => {
  let router: SimRouter;
  let sup: SupervisorProcess;
  const addr = new Map<string, string>();

  beforeAll(async () => {
    router = await SimRouter.start();
    let n = 40;
    for (const name of ['live', 'base', 'child', 'flaky']) addr.set(name, await router.addContainer(name, n++));
    sup = await startSupervisor(router, [
      ...['--systemd.backoff.initial-ms', '300', '--systemd.backoff.max-ms', '5000', '--systemd.max-restarts', '3'],
    ]);
  });
  afterAll(async () => {
    await sup?.stop();
    await router?.stop();
  });

  const status = (name: string) => unary(sup.client, 'GetStatus', { name });

  it('restarts a container whose liveness probe fails', async () => {
    const liveness = { http_get: { path: '/live', port: 8080 }, period_seconds: 1, failure_threshold: 2 };
    await unary(sup.client, 'Register', { unit: unit('live', addr.get('live') as string, [], 0, { liveness_probe: liveness }) });
    await waitFor(async () => (await status('live')).ready, 45_000, 100);
    await router.calls().then(() => router.resetCalls());
    await router.listen('live', 500);
    await waitFor(async () => (await status('live')).restart_count === 1, 45_000, 100);
    await router.listen('live', 200);
    await waitFor(async () => (await status('live')).ready, 45_000, 100);
    expect(await status('live')).toMatchObject({ state: 'UNIT_STATE_RUNNING', restart_count: 1 });
    const calls = await router.calls();
    expect(calls['POST container/stop']).toBe(1);
    expect(calls['POST container/start']).toBe(1);
  }, 120_000);

  it('restarts dependents that asked for it when their dependency restarts', async () => {
    await unary(sup.client, 'Register', { unit: unit('base', addr.get('base') as string) });
    await unary(sup.client, 'Register', { unit: unit('child', addr.get('child') as string, ['base'], 0, { restart_with_dependencies: true }) });
    await waitFor(async () => (await status('child')).ready, 45_000, 100);
    const { events, call } = record(sup.client);
    await router.crash('base');
    await waitFor(async () => (await status('base')).restart_count === 1 && (await status('child')).ready, 45_000, 100);
    call.cancel();
    const child = events.filter((e) => e.name === 'child');
    expect(child.some((e) => e.reason === 'DependencyRestarted' && e.state === 'UNIT_STATE_PENDING')).toBe(true);
    expect((await status('child')).restart_count).toBe(1);
    // The child came back only after base was ready again (positions in the ordered stream).
    const baseReady = events.findIndex((e) => e.name === 'base' && e.ready);
    const childStart = events.findIndex((e) => e.name === 'child' && e.state === 'UNIT_STATE_STARTING');
    expect(baseReady).toBeGreaterThanOrEqual(0);
    expect(childStart).toBeGreaterThan(baseReady);
  }, 120_000);

  it('backs off a crash loop with growing delays and gives up at max restarts', async () => {
    const { events, call } = record(sup.client);
    await router.resetCalls();
    await router.faults({ crashAfterMs: 150 });
    await unary(sup.client, 'Register', { unit: unit('flaky', addr.get('flaky') as string, [], 0, { readiness_probe: null }) });
    await waitFor(async () => (await status('flaky')).state === 'UNIT_STATE_FAILED', 45_000, 100);
    await router.faults({ crashAfterMs: 0 });
    call.cancel();
    const backoffs = events.filter((e) => e.name === 'flaky' && e.state === 'UNIT_STATE_BACKOFF' && e.reason === 'BackOff');
    const delays = [...new Set(backoffs.map((e) => e.next_restart_ms - e.last_transition_ms))];
    expect(delays).toEqual([300, 600, 1200]);
    const failed = await status('flaky');
    expect(failed).toMatchObject({ state: 'UNIT_STATE_FAILED', reason: 'MaxRestartsExceeded', restart_count: 3 });
    expect(failed.message).toContain('gave up after 3 restarts');
    expect((await router.calls())['POST container/start']).toBe(4);
    expect(await router.state('flaky')).toBe('stopped');
    const text = await sup.metrics();
    expect(metric(text, 'mikrotik_kube_boot_supervisor_restarts_total', { unit: 'flaky' })).toBe(3);
    expect(metric(text, 'mikrotik_kube_boot_supervisor_unit_state', { unit: 'flaky', state: 'UNIT_STATE_FAILED' })).toBe(1);
    expect(metric(text, 'mikrotik_kube_boot_supervisor_probe_results_total', { unit: 'live', probe: 'liveness', result: 'failure' })).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('runs the boot sequence again when the router reboots', async () => {
    const { events, call } = record(sup.client);
    await router.reboot();
    // The simulator forgets what its containers answer across a restart; tell it again.
    for (const name of ['live', 'base', 'child']) await router.listen(name, 200);
    await waitFor(() => events.some((e) => e.reason === 'RouterRebooted'), 45_000, 100).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${sup.proc.output().slice(-3000)}`);
    });
    await waitFor(async () => (await status('child')).ready && (await status('live')).ready, 45_000, 100);
    call.cancel();
    // FAILED units get a fresh budget after a reboot like everything else.
    expect(events.some((e) => e.name === 'flaky' && e.reason === 'RouterRebooted')).toBe(true);
    expect(metric(await sup.metrics(), 'mikrotik_kube_boot_supervisor_router_reboots_total')).toBe(1);
    expect(metric(await sup.metrics(), 'mikrotik_kube_boot_supervisor_router_polls_total', { result: 'ok' })).toBeGreaterThan(0);
  }, 120_000);
});
