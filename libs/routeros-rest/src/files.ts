// /file (names are router paths like `disk1/images/app.tar`) and /tool/fetch, the way to put
// big files on the router (REST refuses bodies over ~10 MB).
import { RouterOsError } from './errors';
import { MenuApi, type RosRecord } from './menu';
import type { CallOptions, Transport } from './transport';

export interface RouterFile {
  id: string;
  name: string;
  type: string;
  size: number;
  lastModified?: string;
  raw: RosRecord;
}

function toFile(r: RosRecord): RouterFile {
  return { id: r['.id'] ?? '', name: r['name'] ?? '', type: r['type'] ?? '', size: Number(r['size'] ?? '0'), lastModified: r['last-modified'] ?? r['creation-time'], raw: r };
}

/**
 * What a listing asks for: never `contents`. A router holding an unpacked container root lists
 * thousands of files, and their contents would make the reply hundreds of MB.
 */
const LIST_PROPS = ['.id', 'name', 'type', 'size', 'last-modified', 'creation-time'];

export class FilesApi {
  readonly menu: MenuApi;
  constructor(t: Transport) {
    this.menu = new MenuApi(t, 'file');
  }
  /** Every file and directory, without contents (`find` one file for its contents). */
  async list(opts?: CallOptions): Promise<RouterFile[]> {
    return (await this.menu.list({}, { ...opts, proplist: LIST_PROPS })).map(toFile);
  }
  /**
   * `dir` and everything below it, deepest first (the order the router removes them in: it
   * refuses non-empty directories). The router has no prefix filter, so names are filtered here.
   */
  async listUnder(dir: string, opts?: CallOptions): Promise<RouterFile[]> {
    return (await this.list(opts)).filter((f) => f.name === dir || f.name.startsWith(`${dir}/`)).sort((a, b) => b.name.split('/').length - a.name.split('/').length);
  }
  /** One file by name or id, with `contents` for a small file (`raw.contents`). */
  async find(name: string, opts?: CallOptions): Promise<RouterFile | undefined> {
    const r = await this.menu.find(name, opts);
    return r && toFile(r);
  }
  /** Creates a small text file (or a directory with `type: 'directory'`). */
  async add(f: { name: string; type?: 'file' | 'directory'; contents?: string }, opts?: CallOptions): Promise<RouterFile> {
    return toFile(await this.menu.add({ name: f.name, type: f.type, contents: f.contents }, opts));
  }
  async setContents(name: string, contents: string, opts?: CallOptions): Promise<void> {
    await this.menu.set(name, { contents }, opts);
  }
  /** Removes a file or an empty directory (the router refuses non-empty ones). */
  async remove(ref: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(ref, opts);
  }
  /** Reads up to `chunkSize` (≤32768) bytes at `offset`; '' at end of file. */
  async read(name: string, offset = 0, chunkSize = 32768, opts?: CallOptions): Promise<string> {
    const v = await this.menu.command('read', { file: name, offset, 'chunk-size': chunkSize }, opts);
    const data = Array.isArray(v) ? (v[0] as { data?: unknown } | undefined)?.data : undefined;
    if (typeof data !== 'string') throw new RouterOsError({ kind: 'protocol', method: 'POST', path: 'file/read', detail: 'no data in reply' });
    return data;
  }
}

export interface FetchResult {
  status: string;
  /** KiB as the router reports. */
  downloadedKib: number;
  data?: string;
}

export class FetchApi {
  private readonly tool: MenuApi;
  constructor(t: Transport) {
    this.tool = new MenuApi(t, 'tool');
  }
  /** Makes the router download `url` into `dstPath`; resolves when the transfer finished. */
  async download(p: { url: string; dstPath: string; checkCertificate?: boolean }, opts: CallOptions = {}): Promise<FetchResult> {
    const v = await this.tool.command('fetch', { url: p.url, 'dst-path': p.dstPath, 'check-certificate': p.checkCertificate === undefined ? undefined : p.checkCertificate ? 'yes' : 'no' }, { timeoutMs: 60_000, ...opts });
    return result(v);
  }
  /** Fetches a small (≤64 KiB) body into the reply (`output=user`). */
  async get(url: string, opts?: CallOptions): Promise<FetchResult> {
    return result(await this.tool.command('fetch', { url, output: 'user' }, opts));
  }
}

function result(v: unknown): FetchResult {
  const rows = (Array.isArray(v) ? v : [v]) as Array<Record<string, string> | undefined>;
  const last = rows[rows.length - 1] ?? {};
  if (last['status'] !== 'finished') throw new RouterOsError({ kind: 'invalid', method: 'POST', path: 'tool/fetch', detail: `fetch ${last['status'] ?? 'failed'}` });
  return { status: last['status'], downloadedKib: Number(last['downloaded'] ?? '0'), data: last['data'] };
}
