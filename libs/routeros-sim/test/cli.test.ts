// The simulator as the demo and other services run it: a real process started by the CLI.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTsProcess } from '@mikrotik-kube/test-support';
import { caller } from './helpers';

const CLI = 'libs/routeros-sim/src/cli.ts';

describe('routeros-sim CLI', () => {
  it('prints its URLs when ready, keeps state across a restart, exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    const args = ['--rest-port', '0', '--data-dir', dataDir, '--user', 'ops', '--password', 's3cret', '--routeros-version', '7.20', '--arch', 'x86'];
    const first = startTsProcess(CLI, { args });
    const line = await first.waitForLine(/routeros-sim ready/, 60_000);
    expect(line).toMatch(/^routeros-sim ready rest=http:\/\/127\.0\.0\.1:\d+\/rest admin=http:\/\/127\.0\.0\.1:\d+\/_sim .*version=7\.20 arch=x86$/);
    const call = caller(/rest=(\S+)/.exec(line)?.[1] as string);
    expect((await call('GET', '/system/resource', undefined, { user: 'ops', password: 's3cret' })).body).toMatchObject({ 'architecture-name': 'x86', version: '7.20 (stable)' });
    expect((await call('PUT', '/interface/bridge', { name: 'kept' }, { user: 'ops', password: 's3cret' })).status).toBe(201);
    expect(await first.stop('SIGTERM')).toMatchObject({ code: 0 });

    const second = startTsProcess(CLI, { args });
    const line2 = await second.waitForLine(/routeros-sim ready/, 60_000);
    const call2 = caller(/rest=(\S+)/.exec(line2)?.[1] as string);
    try {
      expect((await call2('GET', '/interface/bridge/kept', undefined, { user: 'ops', password: 's3cret' })).body).toMatchObject({ '.id': '*1', name: 'kept' });
    } finally {
      await second.stop('SIGTERM');
    }
  }, 120_000);

  it('refuses bad flags with a message and exit code 1', async () => {
    const p = startTsProcess(CLI, { args: ['--arch', 'mips'] });
    expect(await p.exited).toMatchObject({ code: 1 });
    expect(p.output()).toMatch(/--arch must be arm64, arm or x86/);
    const v = startTsProcess(CLI, { args: ['--routeros-version', '6.49'] });
    expect(await v.exited).toMatchObject({ code: 1 });
    expect(v.output()).toMatch(/unsupported RouterOS version 6\.49/);
  }, 60_000);
});
