// The system `make demo` starts, reused by the e2e tests.
export { allInOneComponents, DEMO_PASSWORD, DEMO_USER, demoComponents, podNetwork } from './components';
export type { DemoComponent, DemoContext, PodNetwork } from './components';
export { pods, showcase } from './showcase';
export { startStack } from './stack';
export type { Stack } from './stack';
