// The OCI registry service (libs/registry). Wiring only: config, the registry part
// (libs/registry/src/part.ts, also hosted by the all-in-one process) on `listen`, the ops
// endpoints on http.port. `--gc [--dry-run]` runs one garbage collection and exits.
import { configOrExit, createService, servePart } from '@mikrotik-kube/service-kit';
import { collectGarbageOnce, foldRepeatedFlag, type RegistryConfig, registryPart, registrySchema } from '@mikrotik-kube/registry';

const svc = createService<RegistryConfig>({
  name: 'registry',
  envPrefix: 'REGISTRY_',
  schema: registrySchema,
  argv: foldRepeatedFlag(process.argv.slice(2), '--upstream'),
  extraFlags: { gc: 'boolean', 'dry-run': 'boolean' },
});
const part = configOrExit(svc.name, () => registryPart(svc.config));

if (svc.extras.gc) {
  const result = await collectGarbageOnce(svc.config, svc.logger, svc.extras['dry-run'] === true);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
await servePart(svc, await part.start(svc));
