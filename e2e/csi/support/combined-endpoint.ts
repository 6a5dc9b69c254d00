// One CSI endpoint in front of two plugins, as a CO sees a driver whose controller and node
// run in separate processes: Identity and Controller go to csi-controller, Node to csi-node.
// csi-sanity decides whether to run its full "Node Service should work / be idempotent"
// lifecycles from the Identity on --csi.endpoint, so it needs both behind one socket.
import * as grpc from '@grpc/grpc-js';
import { contracts } from '@mikrotik-kube/proto';

type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v?: unknown) => void) => void;

function forward(definition: grpc.ServiceDefinition, client: grpc.Client): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    if (method.requestStream || method.responseStream) continue;
    const fn = (client as unknown as Record<string, Unary>)[name] as Unary;
    impl[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const deadline = call.getDeadline();
      fn.call(client, call.request, call.metadata, { deadline }, (err, value) => cb(err, value));
    }) as grpc.UntypedHandleCall;
  }
  return impl;
}

export async function startCombinedEndpoint(socketPath: string, controllerEndpoint: string, nodeEndpoint: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const csi = contracts.csi();
  const creds = grpc.credentials.createInsecure();
  const identity = new csi.Identity(controllerEndpoint, creds);
  const controller = new csi.Controller(controllerEndpoint, creds);
  const node = new csi.Node(nodeEndpoint, creds);
  const server = new grpc.Server();
  server.addService(csi.Identity.service, forward(csi.Identity.service, identity));
  server.addService(csi.Controller.service, forward(csi.Controller.service, controller));
  server.addService(csi.Node.service, forward(csi.Node.service, node));
  const endpoint = `unix://${socketPath}`;
  await new Promise<number>((resolve, reject) => server.bindAsync(endpoint, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    endpoint,
    async stop() {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      for (const c of [identity, controller, node]) c.close();
    },
  };
}
