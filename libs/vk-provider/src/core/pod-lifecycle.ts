// Creating and deleting one pod on the router. Create: address (ipam) → images
// (storage-converter, or a prebuilt tarball) → volumes → env lists → containers
// (tagged, left stopped) → boot-supervisor units, which start them in dependency
// order. Delete: units first (so the watchdog does not restart what we stop),
// then containers, env entries, volumes and — unless the pod is only being
// recreated — its address. Every step is idempotent, so a crash part-way is
// repaired by the next pass.
import { createHash } from 'node:crypto';
import { inlineEnvFits, removeIgnoringMissing, type ContainerSpec, type RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { BootPolicy } from '../config';
import { envListName, rootDir } from './naming';
import type { ObservedPod } from './router-objects';
import { removeContainer, writeEnvList } from './router-objects';
import type { Allocation, ImageOnRouter, PodEvents, PodServices, Unit } from './services';
import type { ContainerPlan, PodPlan } from './translate';
import { type ResolvedFiles, writeVolumeFiles } from './volume-files';
import type { ObjectTag } from './tags';
import { formatTag } from './tags';

export interface LifecycleOptions {
  router: RouterOsClient;
  services: PodServices;
  /** Router directory under which container root-dirs are made. */
  rootDirBase: string;
  /** RouterOS architecture for image conversion; '' = ask the router. */
  architecture: string;
  logger: Logger;
  stopTimeoutMs: number;
  /** Limits how long we wait for extraction before setting a memory limit. */
  extractTimeoutMs: number;
  /** Pulling, Pulled, Created, Failed and Killing, as the kubelet reports them. */
  events?: PodEvents;
  /** Who starts the containers when the router boots (config.ts BootPolicy). */
  bootPolicy: BootPolicy;
}

/** What a ConfigMap/Secret volume of a pod holds on the router: its directory and a hash of the files written. */
export type VolumeFilesState = Map<string, { dir: string; hash?: string }>;

export interface CreatedContainer {
  id: string;
  imageId: string;
}

const RESTART = { Always: 'RESTART_POLICY_ALWAYS', OnFailure: 'RESTART_POLICY_ON_FAILURE', Never: 'RESTART_POLICY_NEVER' } as const;

export class PodLifecycle {
  private arch: Promise<string> | undefined;
  /** Images ensured in this pass, by reference: pods of one image ask storage-converter (and it the router) once. */
  private ensured = new Map<string, Promise<ImageOnRouter>>();

  constructor(private readonly o: LifecycleOptions) {}

  /** A pass begins: images are ensured again (the router may have lost a tarball since). */
  beginPass(): void {
    this.ensured = new Map();
  }

  /**
   * RouterOS starts a container on boot only under bootPolicy `router` (restartPolicy Always);
   * otherwise the supervisor starts them, in dependency order, when it sees the reboot.
   */
  startOnBoot(plan: PodPlan): boolean {
    return this.o.bootPolicy === 'router' && plan.restartPolicy === 'Always';
  }

  /** Containers made under the other policy get the flag of this one (it may change while they run). */
  async alignStartOnBoot(plan: PodPlan, obs: ObservedPod): Promise<void> {
    const want = this.startOnBoot(plan);
    for (const { container: c } of obs.containers) {
      if (c.startOnBoot === want) continue;
      await this.o.router.containers.set(c.id, { startOnBoot: want });
      this.o.logger.info('start-on-boot aligned', { pod: plan.key, routerName: c.name, startOnBoot: want, bootPolicy: this.o.bootPolicy });
    }
  }

  async allocate(plan: PodPlan): Promise<Allocation> {
    return this.o.services.ipam.allocate(plan.key, plan.annotations.network);
  }

  /** Creates the pod's missing containers; returns them by Kubernetes name, and notes the router version forced on us. */
  async create(plan: PodPlan, alloc: Allocation): Promise<{ containers: Map<string, CreatedContainer>; notes: string[] }> {
    const notes: string[] = [];
    const containers = new Map<string, CreatedContainer>();
    const extras = await this.routerExtras(plan, alloc, notes);
    for (const c of plan.containers) {
      const tag: ObjectTag = { namespace: plan.namespace, pod: plan.name, container: c.name, hash: plan.hash };
      const image = c.file ? { routerFile: c.file, remoteImage: '', manifestDigest: '' } : await this.pull(plan, c);
      const mountLists = new Set<string>();
      for (const v of c.volumes) {
        const vol = await this.o.services.volumes.provision({
          namespace: plan.namespace,
          pod: plan.name,
          container: c.name,
          volume: v.volume,
          mount_path: v.mountPath,
          kind: v.kind,
          read_only: v.readOnly,
        });
        mountLists.add(vol.mount_list);
      }
      // Inline env where the router takes it: one REST call per entry fewer than an env list.
      const inline = inlineEnvFits(await this.o.router.version(), c.env);
      const envList = envListName(c.rosName);
      if (!inline) await writeEnvList(this.o.router, envList, c.env, tag);
      const created = await this.o.router.containers.add({
        name: c.rosName,
        interfaces: [alloc.veth],
        ...(image.routerFile ? { file: image.routerFile } : { remoteImage: image.remoteImage }),
        rootDir: rootDir(this.o.rootDirBase, c.rosName, plan.hash),
        ...(c.env.length ? (inline ? { env: c.env } : { envLists: [envList] }) : {}),
        ...(mountLists.size ? { mountLists: [...mountLists] } : {}),
        ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
        ...(c.cmd ? { cmd: c.cmd } : {}),
        ...(c.workdir ? { workdir: c.workdir } : {}),
        ...(c.user ? { user: c.user } : {}),
        hostname: plan.hostname,
        ...extras,
        logging: true,
        startOnBoot: this.startOnBoot(plan),
        comment: formatTag(tag),
      });
      if (c.memoryBytes !== undefined) notes.push(...(await this.limitMemory(created.id, c)));
      containers.set(c.name, { id: created.id, imageId: image.manifestDigest });
      this.o.events?.emit(plan.key, c.name, 'Normal', 'Created', `Created container ${c.name}`);
      this.o.logger.info('container created', { pod: plan.key, container: c.name, routerName: c.rosName, id: created.id, address: alloc.address });
    }
    return { containers, notes };
  }

  /** DNS servers, hosts and stop-time as the router's version can take them; the rest becomes notes. */
  private async routerExtras(plan: PodPlan, alloc: Allocation, notes: string[]): Promise<Pick<ContainerSpec, 'dns' | 'hosts' | 'stopTimeSeconds'>> {
    const { nameservers, replace } = plan.dns;
    const dns = replace ? nameservers : [...new Set([...alloc.dns, ...nameservers])];
    if (!replace && nameservers.length && !alloc.dns.length) notes.push("spec.dnsConfig.nameservers replace the router's own DNS servers (the pod network names none)");
    const v = await this.o.router.version();
    if (v.containerHostsAndStopTime) return { dns, ...(plan.hosts.length ? { hosts: plan.hosts } : {}), ...(plan.stopTimeSeconds !== undefined ? { stopTimeSeconds: plan.stopTimeSeconds } : {}) };
    if (plan.hosts.length) notes.push(`spec.hostAliases are not supported by RouterOS ${v.raw} (container hosts needs 7.21+)`);
    if (plan.stopTimeSeconds !== undefined) notes.push(`spec.terminationGracePeriodSeconds is not used by RouterOS ${v.raw} (container stop-time needs 7.21+); the router's default applies`);
    return { dns };
  }

  private async pull(plan: PodPlan, c: ContainerPlan): Promise<ImageOnRouter> {
    const ev = this.o.events;
    ev?.emit(plan.key, c.name, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
    const started = Date.now();
    try {
      let ensuring = this.ensured.get(c.image);
      if (!ensuring) this.ensured.set(c.image, (ensuring = this.architecture().then((arch) => this.o.services.images.ensure(c.image, arch))));
      const image = await ensuring;
      ev?.emit(plan.key, c.name, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${Date.now() - started}ms${image.manifestDigest ? ` (${image.manifestDigest})` : ''}`);
      return image;
    } catch (e) {
      ev?.emit(plan.key, c.name, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${(e as { details?: string }).details || (e as Error).message}`);
      throw e;
    }
  }

  /**
   * Writes the files of the pod's ConfigMap/Secret volumes where they changed since `state`
   * (empty after a create or a restart: everything is compared with the router then).
   */
  async syncFiles(plan: PodPlan, files: ResolvedFiles | undefined, state: VolumeFilesState): Promise<void> {
    if (!files) return;
    for (const volume of plan.fileVolumes) {
      const want = files.get(volume) ?? new Map<string, string>();
      const hash = createHash('sha256').update(JSON.stringify([...want])).digest('hex');
      let s = state.get(volume);
      if (!s) state.set(volume, (s = { dir: await this.volumeDir(plan, volume) }));
      if (s.hash === hash) continue;
      await writeVolumeFiles(this.o.router, s.dir, want);
      s.hash = hash;
      this.o.logger.info('volume files written', { pod: plan.key, volume, routerPath: s.dir, files: [...want.keys()] });
    }
  }

  /** The router directory of a volume; provisioning is idempotent, so this only looks it up once made. */
  private async volumeDir(plan: PodPlan, volume: string): Promise<string> {
    const c = plan.containers.find((x) => x.volumes.some((v) => v.volume === volume));
    const v = c?.volumes.find((x) => x.volume === volume);
    if (!c || !v) throw new Error(`volume ${volume} is mounted by no container`);
    const vol = await this.o.services.volumes.provision({ namespace: plan.namespace, pod: plan.name, container: c.name, volume, mount_path: v.mountPath, kind: v.kind, read_only: v.readOnly });
    return vol.router_path.replace(/^\/+/, '');
  }

  /** Registers (or re-registers, idempotently) the pod's boot-supervisor units. */
  async register(plan: PodPlan, address: string): Promise<void> {
    for (const c of plan.containers) await this.o.services.supervisor.register(this.unit(plan, c, address));
  }

  /** Removes what the router has of the pod; `releaseAddress` false keeps its address for a recreate. */
  async delete(pod: ObservedPod, releaseAddress: boolean): Promise<void> {
    const { supervisor, volumes, ipam } = this.o.services;
    for (const { tag } of pod.containers) {
      await supervisor.unregister(pod.key);
      await supervisor.unregister(`${pod.key}/${tag.container}`);
    }
    const why = releaseAddress ? '' : ': its definition changed, it will be created again';
    for (const { tag } of pod.containers) this.o.events?.emit(pod.key, tag.container, 'Normal', 'Killing', `Stopping container ${tag.container}${why}`);
    for (const { container } of pod.containers) await removeContainer(this.o.router, container, this.o.stopTimeoutMs);
    for (const e of pod.envs) await removeIgnoringMissing(() => this.o.router.containers.envs.remove(e.id));
    await volumes.releasePod(pod.namespace, pod.name);
    if (releaseAddress) await ipam.release(pod.key);
    this.o.logger.info('pod removed from the router', { pod: pod.key, containers: pod.containers.map((c) => c.container.name), releaseAddress });
  }

  private unit(plan: PodPlan, c: ContainerPlan, address: string): Unit {
    const a = plan.annotations;
    return {
      name: c.unit,
      container: c.rosName,
      depends_on: a.dependsOn,
      priority: a.bootPriority,
      restart_policy: RESTART[plan.restartPolicy],
      address,
      ...(c.startupProbe ? { startup_probe: c.startupProbe } : {}),
      ...(c.livenessProbe ? { liveness_probe: c.livenessProbe } : {}),
      ...(c.readinessProbe ? { readiness_probe: c.readinessProbe } : {}),
      max_restarts: a.maxRestarts,
      restart_with_dependencies: a.restartWithDependencies,
    };
  }

  /**
   * RouterOS 7.23+ has a hard per-container `memory-max`, 7.20–7.22 only the soft
   * `memory-high`, older versions nothing. The router accepts it once extraction is done.
   */
  private async limitMemory(id: string, c: ContainerPlan): Promise<string[]> {
    const v = await this.o.router.version();
    const where = `container ${c.name}`;
    if (v.minor < 20) return [`${where}: memory limit is not supported by RouterOS ${v.raw} (needs 7.20+)`];
    await this.o.router.containers.waitFor(id, ['stopped', 'error'], { timeoutMs: this.o.extractTimeoutMs, intervalMs: 200 });
    const field = v.minor >= 23 ? 'memory-max' : 'memory-high';
    await this.o.router.containers.menu.set(id, { [field]: String(c.memoryBytes) });
    return field === 'memory-high' ? [`${where}: RouterOS ${v.raw} has only a soft memory limit (memory-high); the limit is not hard`] : [];
  }

  private architecture(): Promise<string> {
    if (this.o.architecture) return Promise.resolve(this.o.architecture);
    this.arch ??= this.o.router.system.resource().then(
      (r) => r.architecture,
      (e: unknown) => {
        this.arch = undefined;
        throw e;
      },
    );
    return this.arch;
  }
}
