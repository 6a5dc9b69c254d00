// The RouterOS REST client: one transport, typed sub-APIs, and the router version read once
// from /system/resource so version-specific argument names stay inside this library.
import { ContainersApi } from './containers';
import { DisksApi } from './disks';
import { FetchApi, FilesApi } from './files';
import { MenuApi } from './menu';
import { AddressesApi, BridgePortsApi, BridgesApi, VethsApi } from './network';
import { LogsApi, SystemApi } from './system';
import { Transport, type TransportOptions } from './transport';
import { parseRouterVersion, type RouterVersion } from './version';

export type RouterOsClientOptions = TransportOptions;

export class RouterOsClient {
  readonly containers: ContainersApi;
  readonly veths: VethsApi;
  readonly bridges: BridgesApi;
  readonly bridgePorts: BridgePortsApi;
  readonly addresses: AddressesApi;
  readonly files: FilesApi;
  readonly system: SystemApi;
  readonly logs: LogsApi;
  readonly fetch: FetchApi;
  readonly disks: DisksApi;
  private readonly transport: Transport;
  private versionPromise: Promise<RouterVersion> | undefined;

  constructor(options: RouterOsClientOptions) {
    this.transport = new Transport(options);
    const version = () => this.version();
    this.containers = new ContainersApi(this.transport, version);
    this.veths = new VethsApi(this.transport);
    this.bridges = new BridgesApi(this.transport);
    this.bridgePorts = new BridgePortsApi(this.transport);
    this.addresses = new AddressesApi(this.transport);
    this.files = new FilesApi(this.transport);
    this.system = new SystemApi(this.transport);
    this.logs = new LogsApi(this.transport);
    this.fetch = new FetchApi(this.transport);
    this.disks = new DisksApi(this.transport, version);
  }

  /** The router's version, read once (a failed read is retried on the next call). */
  version(): Promise<RouterVersion> {
    this.versionPromise ??= this.system.resource().then(
      (r) => parseRouterVersion(r.version),
      (e: unknown) => {
        this.versionPromise = undefined;
        throw e;
      },
    );
    return this.versionPromise;
  }

  /** Any other menu, e.g. `client.menu('ip/firewall/nat')`. */
  menu(path: string): MenuApi {
    return new MenuApi(this.transport, path);
  }

  /** Closes keep-alive sockets. */
  close(): void {
    this.transport.close();
  }
}
