// Kubernetes `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion):
// `$(NAME)` becomes the value when NAME is defined and stays as written when not,
// `$$` is an escaped `$`, and env entries see only the entries defined before them.
export type Lookup = (name: string) => string | undefined;

export function expand(input: string, lookup: Lookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') out += '$';
    else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) out += '$(';
      else {
        const name = rest.slice(1, close);
        out += lookup(name) ?? `$(${name})`;
        advance = close + 1;
      }
    } else out += `$${rest[0]}`;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** An env entry; `literal` values (from ConfigMaps, Secrets, fields) are not expanded, as in the kubelet. */
export interface EnvEntry {
  name: string;
  value?: string;
  literal?: boolean;
}

/** Resolves env entries in order, each seeing the ones before it; returns the final map (last write wins). */
export function resolveEnv(entries: EnvEntry[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of entries) env.set(e.name, e.literal ? (e.value ?? '') : expand(e.value ?? '', (n) => env.get(n)));
  return env;
}
