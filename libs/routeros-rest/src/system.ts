// /system/resource (singleton; read once for the version) and /log.
import { MenuApi, type RosRecord } from './menu';
import type { CallOptions, Transport } from './transport';

export interface SystemResource {
  version: string;
  architecture: string;
  boardName: string;
  platform: string;
  uptime: string;
  cpuCount: number;
  cpuLoad: number;
  freeMemory: number;
  totalMemory: number;
  freeHddSpace: number;
  totalHddSpace: number;
  raw: RosRecord;
}

export class SystemApi {
  private readonly resourceMenu: MenuApi;
  constructor(t: Transport) {
    this.resourceMenu = new MenuApi(t, 'system/resource');
  }
  async resource(opts?: CallOptions): Promise<SystemResource> {
    const r = await this.resourceMenu.getSingleton(opts);
    const n = (k: string) => Number(r[k] ?? '0');
    return {
      version: r['version'] ?? '',
      architecture: r['architecture-name'] ?? '',
      boardName: r['board-name'] ?? '',
      platform: r['platform'] ?? '',
      uptime: r['uptime'] ?? '',
      cpuCount: n('cpu-count'),
      cpuLoad: n('cpu-load'),
      freeMemory: n('free-memory'),
      totalMemory: n('total-memory'),
      freeHddSpace: n('free-hdd-space'),
      totalHddSpace: n('total-hdd-space'),
      raw: r,
    };
  }
}

export interface LogEntry {
  id: string;
  time: string;
  topics: string[];
  message: string;
}

export class LogsApi {
  readonly menu: MenuApi;
  constructor(t: Transport) {
    this.menu = new MenuApi(t, 'log');
  }
  /** Log lines, oldest first; `topic` keeps lines carrying that topic. */
  async list(filter: { topic?: string } = {}, opts?: CallOptions): Promise<LogEntry[]> {
    const rows = await this.menu.list({}, opts);
    return rows
      .map((r) => ({ id: r['.id'] ?? '', time: r['time'] ?? '', topics: (r['topics'] ?? '').split(',').filter(Boolean), message: r['message'] ?? '' }))
      .filter((e) => !filter.topic || e.topics.includes(filter.topic));
  }
}
