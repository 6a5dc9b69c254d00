// The monitoring the chart ships, held to the series the code really exports: docs/metrics.md
// lists exactly the names the code registers; the PrometheusRule and the Grafana dashboard use
// only those; promtool (Debian's prometheus package) parses every rule and dashboard query, and
// `promtool test rules` feeds each alert series that must fire it and series that must not.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTestPeers } from '@mikrotik-kube/testenv';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { one, template, type K8sObject } from './helm';
import { documentedSeries, namesInCode, PREFIX, seriesIn } from './metrics-doc';

const skip = requireTestPeers('helm');
const promtool = spawnSync('promtool', ['--version']).status === 0 ? 'promtool' : undefined;
const minimal = { file: join(import.meta.dirname, '../ci/minimal-values.yaml') };
const NS = 'mk-system';
const documented = documentedSeries();

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

const dir = mkdtempSync(join(tmpdir(), 'mk-monitoring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function promtoolRun(args: string[]): { code: number; out: string } {
  const r = spawnSync(promtool as string, args, { encoding: 'utf8', cwd: dir, timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe('docs/metrics.md is the list of our series', () => {
  it('lists exactly the names the code registers, every one with the prefix', () => {
    const { ours, constructed } = namesInCode();
    expect(constructed.length).toBeGreaterThan(30);
    expect(constructed.filter((n) => !n.startsWith(PREFIX))).toEqual([]);
    expect([...documented.keys()].sort()).toEqual([...ours].sort());
  });

  it('reads histograms through _bucket/_sum/_count and names what is not documented', () => {
    expect(seriesIn('rate(mikrotik_kube_rds_command_duration_seconds_bucket[5m]) + mikrotik_kube_vk_pods', documented)).toEqual({
      known: ['mikrotik_kube_rds_command_duration_seconds', 'mikrotik_kube_vk_pods'],
      unknown: [],
    });
    // A counter has no _count series; an unknown name is reported.
    expect(seriesIn('mikrotik_kube_rds_commands_total_count + mikrotik_kube_nope', documented).unknown).toEqual(['mikrotik_kube_rds_commands_total_count', 'mikrotik_kube_nope']);
  });
});

describe.skipIf(!!skip)(`monitoring objects of the chart ${skip ?? ''}`, () => {
  const rendered = () => template([minimal, { prometheusRule: { enabled: true }, grafanaDashboard: { enabled: true } }]);
  const groupsOf = (objs: K8sObject[]) => (one(objs, 'PrometheusRule', 'mk-mikrotik-kube').spec as { groups: RuleGroup[] }).groups;

  it('off by default; the PrometheusRule covers each issue an operator must hear about, on documented series only', () => {
    const plain = template([minimal]);
    expect(plain.filter((o) => ['PrometheusRule', 'PodMonitor', 'ServiceMonitor'].includes(o.kind) || o.metadata.name.endsWith('-dashboard'))).toEqual([]);
    const rules = groupsOf(rendered()).flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'MikrotikKubeDeliveriesFailing',
        'MikrotikKubeOrphanVolumes',
        'MikrotikKubePodSyncFailing',
        'MikrotikKubeRdsCommandErrors',
        'MikrotikKubeRestartStorm',
        'MikrotikKubeRouterUnreachable',
        'MikrotikKubeServingCertExpiring',
        'MikrotikKubeServingCsrPending',
        'MikrotikKubeUnitFailed',
      ].sort(),
    );
    for (const r of rules) {
      const { known, unknown } = seriesIn(r.expr, documented);
      expect(unknown, r.alert).toEqual([]);
      expect(known.length, r.alert).toBeGreaterThan(0);
      // Every selector keeps to the release's namespace.
      expect(r.expr.match(/mikrotik_kube_[a-z_]+\{/g)?.length, r.alert).toBe(r.expr.match(new RegExp(`\\{namespace="${NS}"`, 'g'))?.length);
      expect(r.labels?.severity, r.alert).toMatch(/^(critical|warning|info)$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it.skipIf(!promtool)(`promtool check rules accepts the PrometheusRule ${promtool ? '' : '(skipped: promtool missing: apt-get install prometheus)'}`, () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: groupsOf(rendered()) }));
    const r = promtoolRun(['check', 'rules', 'rules.yaml']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS: 9 rules found');
    // And refuses a broken one, so the check above means something.
    writeFileSync(join(dir, 'broken.yaml'), stringify({ groups: [{ name: 'x', rules: [{ alert: 'X', expr: 'sum by (namespace (mikrotik_kube_vk_pods)' }] }] }));
    expect(promtoolRun(['check', 'rules', 'broken.yaml']).code).not.toBe(0);
  });

  it.skipIf(!promtool)('promtool test rules: each alert fires on the series that mean trouble, and not on healthy ones', () => {
    const objs = template([minimal, { prometheusRule: { enabled: true, for: '5m', restartsPerHour: 5, certExpiryDays: 7 } }]);
    // Annotations are checked once (RouterUnreachable); elsewhere only labels, which promtool compares exactly.
    const groups = groupsOf(objs).map((g) => ({ ...g, rules: g.rules.map((r) => (r.alert === 'MikrotikKubeRouterUnreachable' ? r : { ...r, annotations: {} })) }));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
    const unreachable = groups.flatMap((g) => g.rules).find((r) => r.alert === 'MikrotikKubeRouterUnreachable') as Rule;
    const s = (name: string, labels: Record<string, string>) => `${name}{${Object.entries({ namespace: NS, ...labels }).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    const series = (name: string, labels: Record<string, string>, values: string) => ({ series: s(name, labels), values });
    const exp = (labels: Record<string, string>, severity = 'warning') => ({ exp_labels: { namespace: NS, severity, ...labels } });
    const tests = [
      {
        name: 'router: polls that fail and none that succeeds; then one success clears it',
        interval: '1m',
        input_series: [
          series('mikrotik_kube_boot_supervisor_router_polls_total', { result: 'error', pod: 'bs-0' }, '0+1x40'),
          series('mikrotik_kube_boot_supervisor_router_polls_total', { result: 'ok', pod: 'bs-0' }, '10x20 11+1x20'),
        ],
        alert_rule_test: [
          { eval_time: '3m', alertname: 'MikrotikKubeRouterUnreachable', exp_alerts: [] },
          {
            eval_time: '15m',
            alertname: 'MikrotikKubeRouterUnreachable',
            exp_alerts: [{ ...exp({}, 'critical'), exp_annotations: { ...unreachable.annotations, description: (unreachable.annotations?.description ?? '').replace('{{ $labels.namespace }}', NS) } }],
          },
          { eval_time: '35m', alertname: 'MikrotikKubeRouterUnreachable', exp_alerts: [] },
        ],
      },
      {
        name: 'vk-provider: every reconcile pass fails',
        interval: '1m',
        input_series: [
          series('mikrotik_kube_vk_reconcile_passes_total', { result: 'failed' }, '0+2x40'),
          series('mikrotik_kube_vk_reconcile_passes_total', { result: 'ok' }, '5x40'),
        ],
        alert_rule_test: [{ eval_time: '20m', alertname: 'MikrotikKubePodSyncFailing', exp_alerts: [exp({})] }],
      },
      {
        name: 'restarts: a unit restarted every minute is a storm; one never restarted is not',
        interval: '1m',
        input_series: [
          series('mikrotik_kube_boot_supervisor_restarts_total', { unit: 'web' }, '0+1x70'),
          series('mikrotik_kube_boot_supervisor_restarts_total', { unit: 'db' }, '0x70'),
          series('mikrotik_kube_boot_supervisor_unit_state', { unit: 'web', state: 'UNIT_STATE_FAILED' }, '0x10 1x60'),
          series('mikrotik_kube_boot_supervisor_unit_state', { unit: 'db', state: 'UNIT_STATE_FAILED' }, '0x70'),
        ],
        alert_rule_test: [
          { eval_time: '65m', alertname: 'MikrotikKubeRestartStorm', exp_alerts: [exp({ unit: 'web' })] },
          { eval_time: '12m', alertname: 'MikrotikKubeUnitFailed', exp_alerts: [] },
          { eval_time: '30m', alertname: 'MikrotikKubeUnitFailed', exp_alerts: [exp({ unit: 'web' })] },
        ],
      },
      {
        name: 'deliveries and RDS commands that fail; successes alone raise nothing',
        interval: '1m',
        input_series: [
          series('mikrotik_kube_storage_converter_deliveries_total', { mode: 'fetch', outcome: 'error' }, '0+1x30'),
          series('mikrotik_kube_storage_converter_deliveries_total', { mode: 'upload', outcome: 'ok' }, '0+1x30'),
          series('mikrotik_kube_rds_commands_total', { target: 'default', verb: 'add', result: 'timeout' }, '0+1x30'),
          series('mikrotik_kube_rds_commands_total', { target: 'default', verb: 'print', result: 'ok' }, '0+5x30'),
        ],
        alert_rule_test: [
          { eval_time: '20m', alertname: 'MikrotikKubeDeliveriesFailing', exp_alerts: [exp({ mode: 'fetch' })] },
          { eval_time: '20m', alertname: 'MikrotikKubeRdsCommandErrors', exp_alerts: [exp({ target: 'default', result: 'timeout' })] },
        ],
      },
      {
        name: 'orphan volumes that stay an hour',
        interval: '1m',
        input_series: [series('mikrotik_kube_csi_orphan_volumes', { pod: 'csi-0' }, '2x90'), series('mikrotik_kube_csi_orphan_volumes', { pod: 'csi-1' }, '0x90')],
        alert_rule_test: [
          { eval_time: '30m', alertname: 'MikrotikKubeOrphanVolumes', exp_alerts: [] },
          { eval_time: '70m', alertname: 'MikrotikKubeOrphanVolumes', exp_alerts: [{ exp_labels: { namespace: NS, severity: 'info' } }] },
        ],
      },
      {
        // time() is seconds since 0 here: 5 days left fires, 10 days does not, 0 (no certificate yet) does not.
        name: 'serving certificate near its end, and a CSR nobody approves',
        interval: '1m',
        input_series: [
          series('mikrotik_kube_vk_serving_cert_expiry_timestamp_seconds', { pod: 'vk-0' }, '432000x30'),
          series('mikrotik_kube_vk_serving_cert_expiry_timestamp_seconds', { pod: 'vk-1' }, '864000x30'),
          series('mikrotik_kube_vk_serving_cert_expiry_timestamp_seconds', { pod: 'vk-2' }, '0x30'),
          series('mikrotik_kube_vk_serving_csr_pending', { pod: 'vk-2' }, '1x30'),
          series('mikrotik_kube_vk_serving_csr_pending', { pod: 'vk-0' }, '0x30'),
        ],
        alert_rule_test: [
          { eval_time: '10m', alertname: 'MikrotikKubeServingCertExpiring', exp_alerts: [exp({ pod: 'vk-0' })] },
          { eval_time: '3m', alertname: 'MikrotikKubeServingCsrPending', exp_alerts: [] },
          { eval_time: '10m', alertname: 'MikrotikKubeServingCsrPending', exp_alerts: [exp({ pod: 'vk-2' })] },
        ],
      },
    ];
    writeFileSync(join(dir, 'rules.test.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    const r = promtoolRun(['test', 'rules', 'rules.test.yaml']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
    // Every alert is exercised.
    const tested = new Set(tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)));
    expect([...tested].sort()).toEqual(groups.flatMap((g) => g.rules.map((x) => x.alert)).sort());
  });

  it('the Grafana dashboard: a ConfigMap with the sidecar label, valid JSON, documented series only, every query parsed by promtool', () => {
    const cm = one(rendered(), 'ConfigMap', 'mk-mikrotik-kube-dashboard') as K8sObject & { data: Record<string, string> };
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(cm.metadata.namespace).toBe(NS);
    const dash = JSON.parse(cm.data['mikrotik-kube.json'] ?? '') as { uid: string; panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }> };
    expect(dash.uid).toBe('mikrotik-kube');
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    const used = new Set<string>();
    for (const { title, expr } of exprs) {
      const { known, unknown } = seriesIn(expr, documented);
      expect(unknown, title).toEqual([]);
      expect(known.length, title).toBeGreaterThan(0);
      for (const k of known) used.add(k);
    }
    // The series the alerts watch are on the dashboard too.
    for (const k of ['mikrotik_kube_boot_supervisor_router_polls_total', 'mikrotik_kube_rds_commands_total', 'mikrotik_kube_csi_orphan_volumes', 'mikrotik_kube_vk_serving_csr_pending']) expect(used).toContain(k);
    if (!promtool) return;
    // Grafana's variables as Prometheus would see them after substitution; each query as a recording rule.
    const rules = exprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: e.expr.replaceAll('$namespace', NS).replaceAll('$__rate_interval', '5m') }));
    writeFileSync(join(dir, 'dashboard-rules.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = promtoolRun(['check', 'rules', 'dashboard-rules.yaml']);
    expect(r.code, r.out).toBe(0);
    // Elsewhere than the release namespace when asked.
    const elsewhere = template([minimal, { grafanaDashboard: { enabled: true, namespace: 'monitoring' } }]);
    expect(one(elsewhere, 'ConfigMap', 'mk-mikrotik-kube-dashboard').metadata.namespace).toBe('monitoring');
  });

  it('PodMonitors scrape every component (csi-controller with its sidecars), never together with ServiceMonitors', () => {
    const objs = template([minimal, { podMonitor: { enabled: true, labels: { release: 'prom' } } }]);
    const pms = objs.filter((o) => o.kind === 'PodMonitor');
    expect(pms.map((p) => p.metadata.name).sort()).toEqual(['csi-controller', 'csi-node', 'ipam', 'registry', 'boot-supervisor', 'storage-converter', 'vk-provider'].map((n) => `mk-mikrotik-kube-${n}`).sort());
    const ports = (o: K8sObject) => (o.spec as { podMetricsEndpoints: Array<{ port: string }> }).podMetricsEndpoints.map((e) => e.port);
    expect(ports(one(objs, 'PodMonitor', 'mk-mikrotik-kube-ipam'))).toEqual(['metrics']);
    expect(ports(one(objs, 'PodMonitor', 'mk-mikrotik-kube-csi-controller'))).toEqual(['metrics', 'm-attacher', 'm-provisioner', 'm-resizer', 'm-snapshotter']);
    expect(one(objs, 'PodMonitor', 'mk-mikrotik-kube-ipam').metadata.labels).toMatchObject({ release: 'prom' });
    // Each port a PodMonitor names is a container port of the pods it selects.
    const dep = one(objs, 'Deployment', 'mk-mikrotik-kube-csi-controller');
    const named = (dep.spec as { template: { spec: { containers: Array<{ ports?: Array<{ name: string }> }> } } }).template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
    expect(named).toEqual(expect.arrayContaining(ports(one(objs, 'PodMonitor', 'mk-mikrotik-kube-csi-controller'))));
    expect(() => template([minimal, { podMonitor: { enabled: true }, serviceMonitor: { enabled: true } }])).toThrow(/serviceMonitor\.enabled and podMonitor\.enabled both scrape every pod: enable one of them/);
  });
});
