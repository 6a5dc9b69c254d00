// Container usage (`memory-current`, `cpu-usage`, 7.23+) and uptime through the client: numbers
// when the router reports them, undefined when it does not (older versions, unknown forms).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Simulator, dockerArchive } from '@mikrotik-kube/routeros-sim';
import { describe, expect, it } from 'vitest';
import { RouterOsClient, parseRosDuration, rosBytes, rosPercent } from './index';

describe('usage parsers', () => {
  it('bytes: plain REST numbers and CLI sizes; anything else is undefined', () => {
    expect(rosBytes('52428800')).toBe(52_428_800);
    expect(rosBytes('0')).toBe(0);
    expect(rosBytes('12.5MiB')).toBe(13_107_200);
    expect(rosBytes('3KiB')).toBe(3072);
    for (const bad of [undefined, '', 'unlimited', '-1', '12 MB', '0x10']) expect(rosBytes(bad), String(bad)).toBeUndefined();
  });
  it('percent: `3`, `3.5`, `3%`', () => {
    expect([rosPercent('3'), rosPercent('3.5'), rosPercent('7%'), rosPercent('0')]).toEqual([3, 3.5, 7, 0]);
    for (const bad of [undefined, '', 'n/a', '-2', '%']) expect(rosPercent(bad), String(bad)).toBeUndefined();
  });
  it('durations: REST uptime, CLI clock forms', () => {
    expect(parseRosDuration('1w2d3h4m5s')).toBe(604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5);
    expect(parseRosDuration('45s')).toBe(45);
    expect(parseRosDuration('2d03:04:05')).toBe(2 * 86_400 + 3 * 3600 + 4 * 60 + 5);
    expect(parseRosDuration('00:00:01.5')).toBe(1.5);
    expect(parseRosDuration('1s500ms')).toBe(1.5);
    for (const bad of ['', 'soon', '5x', '1h 2m']) expect(parseRosDuration(bad), bad).toBeUndefined();
  });
});

async function runOne(version: string): Promise<{ sim: Simulator; ros: RouterOsClient; admin: string }> {
  const sim = new Simulator({ version, users: { u: 'p' }, faults: { extractMs: 20 } });
  const { rest, admin } = await sim.start();
  const ros = new RouterOsClient({ url: rest, username: 'u', password: 'p' });
  const file = sim.context.files.resolve('disk1/app.tar');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, await dockerArchive({ architecture: 'arm64' }));
  await ros.veths.add({ name: 'veth-u', addresses: ['10.7.0.2/24'], gateway: '10.7.0.1' });
  await ros.containers.add({ name: 'u', file: 'disk1/app.tar', interfaces: ['veth-u'] });
  await ros.containers.waitFor('u', ['stopped'], { intervalMs: 20, timeoutMs: 10_000 });
  return { sim, ros, admin };
}

describe('Container usage from the simulator', () => {
  it('7.23: memoryBytes/cpuPercent as set on the router, 0 when stopped', async () => {
    const { sim, ros, admin } = await runOne('7.23');
    try {
      expect(await ros.containers.get('u')).toMatchObject({ memoryBytes: 0, cpuPercent: 0 });
      await ros.containers.start('u');
      await ros.containers.waitFor('u', ['running'], { intervalMs: 20, timeoutMs: 10_000 });
      const r = await fetch(`${admin}/containers/u/usage`, { method: 'POST', body: JSON.stringify({ memoryBytes: 33_554_432, cpuPercent: 12.5 }) });
      expect(r.status).toBe(200);
      const [c] = await ros.containers.list();
      expect(c).toMatchObject({ name: 'u', memoryBytes: 33_554_432, cpuPercent: 12.5 });
      const res = await ros.system.resource();
      expect(parseRosDuration(res.uptime)).toBeGreaterThanOrEqual(0);
    } finally {
      await sim.stop();
    }
  });

  it('7.21: the router does not report usage, so both are undefined', async () => {
    const { sim, ros } = await runOne('7.21');
    try {
      await ros.containers.start('u');
      const c = await ros.containers.waitFor('u', ['running'], { intervalMs: 20, timeoutMs: 10_000 });
      expect(c.memoryBytes).toBeUndefined();
      expect(c.cpuPercent).toBeUndefined();
    } finally {
      await sim.stop();
    }
  });
});
