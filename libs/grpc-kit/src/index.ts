export { GrpcServer } from './server';
export type { GrpcServerOptions, UnaryHandler } from './server';
export { createClient, unary, closeClient } from './client';
export type { ClientOptions } from './client';

export { GrpcError, grpcError, toServiceError, codeName, status } from './errors';
export { serveGrpcPart, serviceGrpcServer } from './part';
