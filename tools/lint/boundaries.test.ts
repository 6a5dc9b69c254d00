// Proves the module-boundary rules bite: the real ESLint config, the real Nx
// project graph, and imports that must be refused.
import { execFileSync } from 'node:child_process';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@mikrotik-kube/test-support';

let eslint: ESLint;
beforeAll(() => {
  // The rule reads Nx's cached project graph; compute it as `nx lint` would.
  execFileSync(process.execPath, ['node_modules/nx/dist/bin/nx.js', 'show', 'projects'], {
    cwd: repoRoot,
    env: { ...process.env, NX_DAEMON: 'false' },
    stdio: 'ignore',
  });
  eslint = new ESLint({ cwd: repoRoot });
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('refuses a production lib importing a test utility', async () => {
    const errors = await boundaryErrors(
      'libs/service-kit/src/probe.ts',
      "import { freePort } from '@mikrotik-kube/test-support';\nexport const p = freePort;\n",
    );
    expect(errors.join('\n')).toMatch(/type:lib.*can only depend on libs tagged with.*type:lib/);
  });

  it('refuses relative imports into another project', async () => {
    const errors = await boundaryErrors(
      'libs/service-kit/src/probe.ts',
      "import { GrpcServer } from '../../grpc-kit/src/server';\nexport const s = GrpcServer;\n",
    );
    expect(errors.join('\n')).toMatch(/relative or absolute path/);
  });

  it('accepts a lib importing a lib through its alias', async () => {
    const errors = await boundaryErrors(
      'libs/grpc-kit/src/probe.ts',
      "import { createLogger } from '@mikrotik-kube/service-kit';\nexport const l = createLogger;\n",
    );
    expect(errors).toEqual([]);
  });
});
