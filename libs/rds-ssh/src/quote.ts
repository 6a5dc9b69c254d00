// RouterOS string quoting. Inside double quotes RouterOS interprets `\"`, `\\`, `\$`
// (else `$var` interpolates), `\?` and `\XX` (a byte as two uppercase hex digits).
// We escape everything that is not plain printable ASCII, plus characters that have
// meaning anywhere in RouterOS syntax, so a quoted value is always one inert token.

const NAMED: Record<string, string> = { '"': '\\"', '\\': '\\\\', $: '\\$', '?': '\\?' };
// Printable ASCII that is literal inside quotes and has no special meaning elsewhere.
const PLAIN = /^[A-Za-z0-9 _.,:/@+=*%!^~<>|&'()-]$/;

export function quote(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    const named = NAMED[ch];
    if (named !== undefined) out += named;
    else if (byte < 0x80 && PLAIN.test(ch)) out += ch;
    else out += '\\' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out + '"';
}
