// The system `make demo` starts, reused by the e2e tests.
export { allInOneComponents, DEMO_PASSWORD, DEMO_USER, demoComponents, podNetwork, routedPodNetwork } from './components';
export type { ContainerMode, DemoComponent, DemoContext, PodNetwork } from './components';
export { demoAppImage, hostArchitecture, pushImage } from './demo-image';
export type { StackImage } from './demo-image';
export { pods, showcase } from './showcase';
export { startStack } from './stack';
export type { Stack, StackOptions } from './stack';
