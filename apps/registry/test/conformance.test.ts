// The OCI distribution-spec conformance suite (built from Go source by
// tools/testenv) against our registry: every pull, push, content discovery and
// content management test must pass.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestPeers, testenvBin } from '@mikrotik-kube/testenv';
import { startRegistry, tempDir, type RunningRegistry } from './helpers';

const skip = requireTestPeers('conformance');

interface JunitSummary {
  tests: number;
  failures: number;
  failed: string[];
}

/** Totals from the JUnit report (the runner leaves out `failures` when there are none). */
function parseJunit(xml: string): JunitSummary {
  const suites = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? '';
  const tests = Number(/\btests="(\d+)"/.exec(suites)?.[1] ?? NaN);
  const failures = [...xml.matchAll(/<testsuite\b[^>]*\bfailures="(\d+)"/g)].reduce((n, m) => n + Number(m[1]), 0);
  const failed = [...xml.matchAll(/<testcase name="([^"]+)"[^>]*>\s*<failure/g)].map((m) => m[1] as string);
  return { tests, failures: Math.max(failures, (xml.match(/<failure\b/g) ?? []).length), failed };
}

describe.skipIf(skip)(`OCI distribution-spec conformance${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  }, 90_000);
  afterAll(async () => {
    await registry?.stop();
  });

  it('passes pull, push, content discovery and content management', async () => {
    const results = tempDir('conformance');
    const child = spawn(testenvBin('conformance') as string, [], {
      cwd: results,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        OCI_REGISTRY: registry.host,
        OCI_TLS: 'disabled',
        OCI_REPO1: 'conformance/repo1',
        OCI_REPO2: 'conformance/repo2',
        OCI_VERSION: '1.1',
        OCI_RESULTS_DIR: results,
        // Optional APIs we implement, switched on so they are checked too.
        OCI_API_BLOBS_UPLOAD_CANCEL: 'true',
        OCI_API_MANIFESTS_TAG_PARAM: 'true',
        // Legacy names for older runners of the suite.
        OCI_ROOT_URL: registry.url,
        OCI_NAMESPACE: 'conformance/repo1',
        OCI_CROSSMOUNT_NAMESPACE: 'conformance/repo2',
        OCI_TEST_PULL: '1',
        OCI_TEST_PUSH: '1',
        OCI_TEST_CONTENT_DISCOVERY: '1',
        OCI_TEST_CONTENT_MANAGEMENT: '1',
        OCI_REPORT_DIR: results,
      },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const summary = parseJunit(readFileSync(join(results, 'junit.xml'), 'utf8'));
    expect(summary.failed, output.slice(-6000)).toEqual([]);
    expect(summary.failures).toBe(0);
    expect(summary.tests).toBeGreaterThan(500);
    expect(code).toBe(0);
  }, 300_000);
});
