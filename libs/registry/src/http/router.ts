// Maps request paths to routes. Repository names may contain slashes, so routes
// are matched from the end of the path; the name is validated here, before any
// handler or store sees it.
import { isValidRepositoryName } from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';

export type RouteName = 'base' | 'catalog' | 'uploads' | 'upload' | 'blob' | 'manifest' | 'tags' | 'referrers';

export interface Route {
  route: RouteName;
  name: string;
  param: string;
}

const repoRoute = /^\/v2\/(.+)\/(?:blobs\/uploads\/([^/]*)|blobs\/([^/]+)|manifests\/([^/]+)|tags\/list|referrers\/([^/]+))$/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new RegistryError('NAME_INVALID', `malformed escape in ${JSON.stringify(s)}`);
  }
}

/** undefined = no such route (404). Throws NAME_INVALID for a bad repository name. */
export function matchRoute(path: string): Route | undefined {
  if (path === '/v2/' || path === '/v2') return { route: 'base', name: '', param: '' };
  if (path === '/v2/_catalog') return { route: 'catalog', name: '', param: '' };
  const m = repoRoute.exec(path);
  if (!m) return undefined;
  const name = m[1] as string;
  if (!isValidRepositoryName(name)) throw new RegistryError('NAME_INVALID', `invalid repository name ${JSON.stringify(name)}`);
  if (m[2] !== undefined) return m[2] === '' ? { route: 'uploads', name, param: '' } : { route: 'upload', name, param: m[2] };
  if (m[3] !== undefined) return { route: 'blob', name, param: decode(m[3]) };
  if (m[4] !== undefined) return { route: 'manifest', name, param: decode(m[4]) };
  if (m[5] !== undefined) return { route: 'referrers', name, param: decode(m[5]) };
  return { route: 'tags', name, param: '' };
}
