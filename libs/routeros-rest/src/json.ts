// RouterOS may put raw control bytes inside JSON strings (terraform-provider-routeros #165);
// escape them inside strings before parsing instead of failing the whole reply.
export function parseRouterJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(escapeControlInStrings(text));
  }
}

function escapeControlInStrings(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const code = c.charCodeAt(0);
    if (inString) {
      if (c === '\\') {
        out += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '"') inString = false;
      out += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    } else {
      if (c === '"') inString = true;
      out += c;
    }
  }
  return out;
}
