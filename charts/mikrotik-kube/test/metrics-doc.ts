// docs/metrics.md's table of our series, and the series a PromQL expression uses, so the tests
// can hold the chart's alerts and dashboard, the code and the services' /metrics to that table.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@mikrotik-kube/test-support';

export const PREFIX = 'mikrotik_kube_';
export const metricsDocPath = join(repoRoot, 'docs/metrics.md');

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** series name → type, from the table rows "| `mikrotik_kube_…` | type | …". */
export function documentedSeries(text = readFileSync(metricsDocPath, 'utf8')): Map<string, MetricType> {
  const rows = [...text.matchAll(/^\| `([a-z_]+)` \| (counter|gauge|histogram) \|/gm)];
  return new Map(rows.map((m) => [m[1] as string, m[2] as MetricType]));
}

/** The documented series an expression reads (a histogram's _bucket/_sum/_count as the histogram). */
export function seriesIn(expr: string, documented: Map<string, MetricType>): { known: string[]; unknown: string[] } {
  const known: string[] = [];
  const unknown: string[] = [];
  for (const [name] of expr.matchAll(/\bmikrotik_kube_[a-z_]+/g)) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    if (documented.has(name) && documented.get(name) !== 'histogram') known.push(name);
    else if (base !== name && documented.get(base) === 'histogram') known.push(base);
    else unknown.push(name);
  }
  return { known, unknown };
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** What the code names: every 'mikrotik_kube_…' literal, and every name a prom-client metric is made with. */
export function namesInCode(): { ours: Set<string>; constructed: string[] } {
  const ours = new Set<string>();
  const constructed: string[] = [];
  for (const top of ['apps', 'libs']) {
    for (const project of readdirSync(join(repoRoot, top))) {
      const src = join(repoRoot, top, project, 'src');
      if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) continue;
      for (const file of sources(src)) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/'(mikrotik_kube_[a-z_]+)'/g)) ours.add(m[1] as string);
        for (const m of text.matchAll(/new (?:Counter|Gauge|Histogram|Summary)\(\{\s*name: '([^']+)'/g)) constructed.push(m[1] as string);
      }
    }
  }
  return { ours, constructed };
}
