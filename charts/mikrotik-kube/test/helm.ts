// Running the real helm (and kubectl) from the testenv peers against this chart, and parsing
// what it renders. Values go through temp files, typed by the generated ValuesOverride.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testenvBin } from '@mikrotik-kube/testenv';
import { parseAllDocuments, stringify } from 'yaml';
import type { ValuesOverride } from './values.generated';

export const chartDir = resolve(import.meta.dirname, '..');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number };
  [field: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): RunResult {
  const r = spawnSync(bin, args, { encoding: 'utf8', env, input, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Writes values to a temp file; returns its path and a cleanup. */
export function valuesFile(values: ValuesOverride | string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mk-values-'));
  const path = join(dir, 'values.yaml');
  writeFileSync(path, typeof values === 'string' ? values : stringify(values));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function helm(args: string[], env?: NodeJS.ProcessEnv): RunResult {
  const bin = testenvBin('helm');
  if (!bin) throw new Error('helm test peer missing');
  return run(bin, args, env);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && 'kind' in o);
}

/** A values file on disk (e.g. ci/minimal-values.yaml) or values written to a temp file. */
export type ValuesSource = ValuesOverride | { file: string };

/** `helm template` with values in order; throws with helm's stderr on failure. */
export function template(values: ValuesSource[] = [], extra: string[] = []): K8sObject[] {
  const files = values.map((v) => ('file' in v && typeof v.file === 'string' ? { path: v.file, remove: () => undefined } : valuesFile(v as ValuesOverride)));
  try {
    const r = helm(['template', 'mk', chartDir, '--namespace', 'mk-system', ...files.flatMap((f) => ['-f', f.path]), ...extra]);
    if (r.code !== 0) throw new Error(`helm template failed (${r.code}):\n${r.stderr}`);
    return parseManifests(r.stdout);
  } finally {
    for (const f of files) f.remove();
  }
}

export const find = (objs: K8sObject[], kind: string, name?: string): K8sObject[] =>
  objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

export function one(objs: K8sObject[], kind: string, name: string): K8sObject {
  const hits = find(objs, kind, name);
  if (hits.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${hits.length} (have: ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return hits[0] as K8sObject;
}
