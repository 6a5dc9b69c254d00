import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Resolve the workspace libs the same way tsc and esbuild do (tsconfig paths).
const paths: Record<string, string[]> = JSON.parse(readFileSync('tsconfig.base.json', 'utf8')).compilerOptions.paths;
const alias = Object.entries(paths).map(([name, [target]]) => ({
  find: new RegExp(`^${name.replace('/*', '/(.*)').replace(/[.]/g, '\\.')}$`),
  replacement: resolve(String(target).replace('/*', '/$1')),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['apps/**/*.test.ts', 'libs/**/*.test.ts', 'e2e/**/*.test.ts', 'tools/**/*.test.ts', 'charts/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', '.cache/**'],
    pool: 'forks',
    // Tests start real processes and servers; the machine has 2 cores.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
