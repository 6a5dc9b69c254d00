// `remote-image=` pulls: the OCI Distribution v2 protocol — manifest (index → platform
// manifest), config and layer blobs with digest checks, anonymous or basic-auth bearer tokens.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError, type ImageConfig, type ImageInfo } from './image-archive';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const TIMEOUT_MS = 30_000;
const MAX_BLOB = 2 * 1024 * 1024 * 1024;

export interface ImageRef {
  registry: string; // base URL, e.g. http://127.0.0.1:5000
  repository: string;
  reference: string; // tag or digest
}

/** Parses `remote-image` against `/container/config registry-url`, as the router does. */
export function parseRemoteImage(image: string, registryUrl: string): ImageRef {
  let rest = image.trim();
  let registry: string;
  const first = rest.split('/')[0] ?? '';
  if (rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    const local = /^(localhost|127\.|\[::1\])/.test(first);
    const configured = registryUrl.replace(/\/+$/, '');
    registry = configured.endsWith(`//${first}`) ? configured : `${local ? 'http' : 'https'}://${first}`;
    rest = rest.slice(first.length + 1);
  } else {
    registry = registryUrl.replace(/\/+$/, '') || 'https://registry-1.docker.io';
    if (registry.includes('docker.io') && !rest.includes('/')) rest = `library/${rest}`;
  }
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (!/^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(rest) || !/^[\w.:+-]+$/.test(reference)) throw new ImageError('invalid remote-image');
  return { registry, repository: rest, reference };
}

interface Creds {
  username?: string;
  password?: string;
}

class RegistrySession {
  /** `Bearer <token>` or `Basic <creds>`, once the registry asked for it. */
  private auth: string | undefined;
  constructor(
    private readonly ref: ImageRef,
    private readonly creds: Creds,
  ) {}

  async get(path: string, accept?: string): Promise<Response> {
    const url = `${this.ref.registry}/v2/${this.ref.repository}/${path}`;
    const headers: Record<string, string> = accept ? { accept } : {};
    if (this.auth) headers['authorization'] = this.auth;
    let res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (res.status === 401 && !this.auth) {
      await res.body?.cancel();
      await this.authenticate(res.headers.get('www-authenticate') ?? '');
      res = await fetch(url, { headers: { ...headers, authorization: this.auth as string }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ImageError(`failed to download ${path.split('/')[0]}: status ${res.status}`);
    }
    return res;
  }

  private async authenticate(challenge: string): Promise<void> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const basic = this.creds.username ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}` : undefined;
    if (/^Basic/i.test(challenge) && basic) {
      this.auth = basic;
      return;
    }
    if (!/^Bearer/i.test(challenge) || !params['realm']) throw new ImageError('unauthorized');
    const u = new URL(params['realm']);
    if (params['service']) u.searchParams.set('service', params['service']);
    u.searchParams.set('scope', params['scope'] ?? `repository:${this.ref.repository}:pull`);
    const res = await fetch(u, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new ImageError('unauthorized');
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new ImageError('unauthorized');
    this.auth = `Bearer ${token}`;
  }
}

async function verified(res: Response, digest: string, max: number): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? '0');
  if (len > max) throw new ImageError('blob too large');
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > max) throw new ImageError('blob too large');
  const [algo, hex] = digest.split(':');
  if (algo !== 'sha256' || createHash('sha256').update(buf).digest('hex') !== hex) throw new ImageError(`digest mismatch for ${digest}`);
  return buf;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { architecture?: string; os?: string; variant?: string };
}

/** Pulls the image for `arch` into `dir` (config + layer blobs); logs progress via `log`. */
export async function pullImage(ref: ImageRef, arch: string, creds: Creds, dir: string, log: (m: string) => void): Promise<ImageInfo> {
  const session = new RegistrySession(ref, creds);
  let res = await session.get(`manifests/${ref.reference}`, MANIFEST_TYPES);
  let manifest = (await res.json()) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  if (manifest.manifests) {
    const pick = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch && (arch !== 'arm' || !m.platform.variant || m.platform.variant === 'v7'));
    if (!pick) throw new ImageError(`no image for architecture ${arch}`);
    res = await session.get(`manifests/${pick.digest}`, MANIFEST_TYPES);
    manifest = (await res.json()) as typeof manifest;
  }
  if (!manifest.config || !manifest.layers) throw new ImageError('invalid manifest');
  mkdirSync(dir, { recursive: true });
  const configBuf = await verified(await session.get(`blobs/${manifest.config.digest}`), manifest.config.digest, 16 * 1024 * 1024);
  const config = JSON.parse(configBuf.toString('utf8')) as ImageConfig;
  if (config.architecture && config.architecture !== arch) throw new ImageError(`image architecture ${config.architecture} does not match ${arch}`);
  const layers: string[] = [];
  for (const l of manifest.layers) {
    log(`getting layer ${l.digest}`);
    const buf = await verified(await session.get(`blobs/${l.digest}`), l.digest, MAX_BLOB);
    writeFileSync(join(dir, l.digest.replace(':', '-')), buf);
    layers.push(l.digest);
    log(`layer ${l.digest} downloaded`);
  }
  const layerFiles = layers.map((d) => join(dir, d.replace(':', '-')));
  return { config, repoTag: `${ref.registry.replace(/^https?:\/\//, '')}/${ref.repository}:${ref.reference}`, layers, layerFiles };
}
