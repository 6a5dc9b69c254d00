// Content discovery: /v2/<name>/tags/list, /v2/<name>/referrers/<digest> and /v2/_catalog.
import { MediaType } from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';
import { checkDigest } from './blobs';
import { paginate, sendJson, type RequestContext } from './context';
import type { HandlerDeps } from './deps';

function onlyGet(ctx: RequestContext): void {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new RegistryError('UNSUPPORTED', `${ctx.method} is not supported here`);
}

export async function handleTags(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  onlyGet(ctx);
  const tags = await deps.manifests.tags(ctx.name);
  if (tags === undefined) throw new RegistryError('NAME_UNKNOWN', `repository ${ctx.name} is unknown`);
  const { page, link } = paginate(tags, ctx.query, `/v2/${ctx.name}/tags/list`);
  sendJson(ctx.res, 200, { name: ctx.name, tags: page }, link ? { link } : {});
}

export async function handleReferrers(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  onlyGet(ctx);
  const digest = checkDigest(ctx.param);
  let manifests = await deps.manifests.referrers(ctx.name, digest);
  const artifactType = ctx.query.get('artifactType');
  const headers: Record<string, string> = { 'content-type': MediaType.ociIndex };
  if (artifactType !== null) {
    manifests = manifests.filter((m) => m.artifactType === artifactType);
    headers['oci-filters-applied'] = 'artifactType';
  }
  manifests.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  sendJson(ctx.res, 200, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, headers);
}

export async function handleCatalog(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  onlyGet(ctx);
  const { page, link } = paginate(await deps.manifests.repositories(), ctx.query, '/v2/_catalog');
  sendJson(ctx.res, 200, { repositories: page }, link ? { link } : {});
}
