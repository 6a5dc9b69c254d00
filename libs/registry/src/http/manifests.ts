// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<tag|digest>: exact bytes stored and
// served with their media type and digest.
import { digestOf, isValidTag, parseDigest } from '@mikrotik-kube/oci';
import { RegistryError } from '../errors';
import { readBody, send, type RequestContext } from './context';
import type { HandlerDeps } from './deps';

type Reference = { kind: 'tag'; value: string } | { kind: 'digest'; value: string };

function parseRef(ref: string): Reference {
  if (ref.includes(':')) {
    try {
      return { kind: 'digest', value: parseDigest(ref).value };
    } catch (err) {
      throw new RegistryError('DIGEST_INVALID', (err as Error).message);
    }
  }
  if (!isValidTag(ref)) throw new RegistryError('MANIFEST_INVALID', `invalid tag ${JSON.stringify(ref)}`);
  return { kind: 'tag', value: ref };
}

export async function handleManifest(ctx: RequestContext, deps: HandlerDeps): Promise<void> {
  const ref = parseRef(ctx.param);
  switch (ctx.method) {
    case 'GET':
    case 'HEAD': {
      const m = await deps.manifests.get(ctx.name, ref.value);
      if (!m) throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${ref.value} is unknown in ${ctx.name}`);
      const headers = { 'content-type': m.mediaType, 'docker-content-digest': m.digest, 'content-length': m.bytes.length };
      if (ctx.method === 'HEAD') send(ctx.res, 200, headers);
      else {
        deps.metrics.bytesOut.inc(m.bytes.length);
        send(ctx.res, 200, headers, m.bytes);
      }
      return;
    }
    case 'PUT': {
      if (deps.readOnly(ctx.name)) throw new RegistryError('UNSUPPORTED', `${ctx.name} is a read-only cache`);
      const body = await readBody(ctx.req, deps.maxManifestBytes);
      deps.metrics.bytesIn.inc(body.length);
      if (ref.kind === 'digest') {
        const actual = digestOf(body, parseDigest(ref.value).algorithm);
        if (actual !== ref.value) throw new RegistryError('DIGEST_INVALID', `manifest digest is ${actual}, not ${ref.value}`);
      }
      const extraTags = ctx.query.getAll('tag');
      for (const t of extraTags) if (!isValidTag(t)) throw new RegistryError('MANIFEST_INVALID', `invalid tag ${JSON.stringify(t)}`);
      const tags = [...(ref.kind === 'tag' ? [ref.value] : []), ...extraTags];
      const algorithm = ref.kind === 'digest' ? parseDigest(ref.value).algorithm : 'sha256';
      const result = await deps.manifests.put(ctx.name, body, ctx.req.headers['content-type'], tags, { algorithm });
      const headers: Record<string, string | number | string[]> = {
        location: `/v2/${ctx.name}/manifests/${result.digest}`,
        'docker-content-digest': result.digest,
        'content-length': 0,
      };
      if (result.subject) headers['oci-subject'] = result.subject;
      if (extraTags.length) headers['oci-tag'] = extraTags;
      send(ctx.res, 201, headers);
      return;
    }
    case 'DELETE': {
      if (deps.readOnly(ctx.name)) throw new RegistryError('UNSUPPORTED', `${ctx.name} is a read-only cache`);
      if (!(await deps.manifests.delete(ctx.name, ref.value))) {
        throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${ref.value} is unknown in ${ctx.name}`);
      }
      send(ctx.res, 202, { 'content-length': 0 });
      return;
    }
    default:
      throw new RegistryError('UNSUPPORTED', `${ctx.method} is not supported on manifests`);
  }
}
