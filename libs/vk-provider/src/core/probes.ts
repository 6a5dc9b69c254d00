// Kubernetes probes → boot-supervisor probes. httpGet and tcpSocket map one to
// one (the target host defaults to the pod's address in the supervisor); exec
// and grpc have no RouterOS equivalent and are reported, not dropped silently.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import type { kube } from '@mikrotik-kube/proto';

function portOf(port: number | string, c: V1Container, where: string, errors: string[]): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) errors.push(`${where}: container ${c.name} has no port named ${JSON.stringify(port)}`);
  return named?.containerPort ?? 0;
}

export function translateProbe(p: V1Probe | undefined, c: V1Container, where: string, errors: string[], notes: string[]): kube.Probe | undefined {
  if (!p) return undefined;
  const timing = {
    initial_delay_seconds: p.initialDelaySeconds ?? 0,
    period_seconds: p.periodSeconds ?? 0,
    timeout_seconds: p.timeoutSeconds ?? 0,
    failure_threshold: p.failureThreshold ?? 0,
    success_threshold: p.successThreshold ?? 0,
  };
  if (p.httpGet) {
    const h = p.httpGet;
    return {
      ...timing,
      http_get: {
        scheme: h.scheme ?? 'HTTP',
        path: h.path ?? '/',
        port: portOf(h.port, c, where, errors),
        host: h.host ?? '',
        headers: (h.httpHeaders ?? []).map((x) => ({ name: x.name, value: x.value })),
      },
    };
  }
  if (p.tcpSocket) return { ...timing, tcp_socket: { port: portOf(p.tcpSocket.port, c, where, errors), host: p.tcpSocket.host ?? '' } };
  notes.push(`${where}: ${p.exec ? 'exec' : p.grpc ? 'grpc' : 'this'} probe is not supported (RouterOS cannot run it); the RouterOS running state is used instead`);
  return { ...timing, routeros_status: {} };
}
