// Reply shapes RouterOS is documented to send that the simulator does not produce on its own
// (older or odd builds): array-wrapped singletons, PUT answering {"ret"}, raw control bytes in
// JSON strings, HTML 403 pages, `status` strings incl. `pulling`. A loopback server replays
// the documented bytes so the client's handling is exercised over real HTTP.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterOsClient, containerState, parseRouterVersion } from '../src/index';

const replies: Record<string, { status: number; body: string; type?: string }> = {
  'GET /rest/system/resource': { status: 200, body: '[{"version":"7.1beta4","platform":"MikroTik","architecture-name":"arm64"}]' },
  'PUT /rest/interface/bridge': { status: 200, body: '{"ret":"*7"}' },
  'GET /rest/interface/bridge/*7': { status: 200, body: '{".id":"*7","name":"br","disabled":"false","running":"true"}' },
  'GET /rest/log': { status: 200, body: '[{".id":"*1","message":"colour \u001b[31mred\u001b[0m\nnext","time":"2025-01-01 00:00:00","topics":"container,info"}]' },
  'GET /rest/ip/address': { status: 403, body: '<html><head><title>403 Forbidden</title></head></html>', type: 'text/html' },
  'GET /rest/container': { status: 200, body: '[{".id":"*3","name":"a","status":"pulling","repo":"registry-1.docker.io/x/y:latest","logging":"true","mounts":"","interface":"veth1"}]' },
  'PATCH /rest/interface/bridge/*7': { status: 200, body: '' },
  // A listing asks for no contents (an unpacked container root is ~15k files).
  'GET /rest/file?.proplist=.id,name,type,size,last-modified,creation-time': { status: 200, body: 'not json' },
};

describe('documented reply shapes over real HTTP', () => {
  let server: Server;
  let ros: RouterOsClient;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const key = `${req.method} ${req.url}`;
      seen.push(key);
      const r = replies[key] ?? { status: 404, body: '{"error":404,"message":"Not Found"}' };
      req.resume();
      res.writeHead(r.status, { 'content-type': r.type ?? 'application/json' }).end(r.body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    ros = new RouterOsClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rest`, username: 'admin', password: '', retryDelayMs: 1 });
  });
  afterAll(() => {
    ros.close();
    server.close();
  });

  it('unwraps an array-wrapped singleton', async () => {
    expect((await ros.system.resource()).architecture).toBe('arm64');
  });

  it('follows a PUT that answered {"ret"} with a GET, and a PATCH with an empty body likewise', async () => {
    expect(await ros.bridges.add({ name: 'br' })).toMatchObject({ id: '*7', name: 'br', running: true });
    expect((await ros.bridges.menu.set('*7', { comment: 'x' }))['name']).toBe('br');
  });

  it('tolerates raw control bytes inside JSON strings', async () => {
    const [line] = await ros.logs.list();
    expect(line?.message).toBe('colour \u001b[31mred\u001b[0m\nnext');
    expect(line?.topics).toEqual(['container', 'info']);
  });

  it('an HTML 403 (REST disabled for this protocol) is forbidden; a non-JSON 200 is a protocol error', async () => {
    await expect(ros.addresses.list()).rejects.toMatchObject({ kind: 'forbidden', status: 403, retryable: false });
    await expect(ros.files.list()).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('reads old-style containers: status string, repo, mounts', async () => {
    const [c] = await ros.containers.list();
    expect(c).toMatchObject({ id: '*3', state: 'extracting', image: 'registry-1.docker.io/x/y:latest', logging: true, interfaces: ['veth1'], mountLists: [] });
  });

  it('sends ids with a raw * and names percent-encoded', async () => {
    await ros.files.find('disk1/a b.tar').catch(() => undefined);
    expect(seen).toContain('GET /rest/file/disk1%2Fa%20b.tar');
    expect(seen).toContain('GET /rest/interface/bridge/*7');
    await ros.menu('ip/route').list({ 'dst-address': '0.0.0.0/0' }, { proplist: ['gateway', 'distance'] }).catch(() => undefined);
    expect(seen).toContain('GET /rest/ip/route?dst-address=0.0.0.0%2F0&.proplist=gateway,distance');
  });
});

describe('pure mappings', () => {
  it('container state from status strings and flags', () => {
    expect(containerState({ status: 'running' })).toBe('running');
    expect(containerState({ status: 'error' })).toBe('error');
    expect(containerState({ stopped: 'false', running: 'true', extracting: 'false' })).toBe('running');
    expect(containerState({ stopped: 'true', running: 'false' })).toBe('stopped');
    expect(containerState({ stopped: 'false', running: 'false', extracting: 'false' })).toBe('error');
  });

  it('version names', () => {
    expect(parseRouterVersion('7.19.4 (stable)')).toMatchObject({ containerEnvArg: 'envlist', containerMountArg: 'mounts', statusFlags: false, mountAccess: 'none' });
    expect(parseRouterVersion('7.20.1 (stable)')).toMatchObject({ containerEnvArg: 'envlists', containerMountArg: 'mounts', envsListField: 'list', mountsListField: 'name', mountAccess: 'read-only', statusFlags: true });
    expect(parseRouterVersion('7.21')).toMatchObject({ containerMountArg: 'mountlists', mountsListField: 'list', nvmeTcpNqn: true });
    expect(parseRouterVersion('7.23.7 (long-term)')).toMatchObject({ mountAccess: 'mode', raw: '7.23.7' });
    expect(() => parseRouterVersion('6.49.10')).toThrow(/unsupported/);
  });
});
