// mikrotik-kube: the all-in-one process for the router itself (libs/all-in-one) — every platform
// service in one process, one config file, one ops port. Wiring only.
//   mikrotik-kube --standalone --config /etc/mikrotik-kube/config.yaml
import { type AllInOneConfig, allInOneSchema, startAllInOne } from '@mikrotik-kube/all-in-one';
import { createService } from '@mikrotik-kube/service-kit';

await startAllInOne(createService<AllInOneConfig>({ name: 'mikrotik-kube', envPrefix: 'MK_', schema: allInOneSchema }));
