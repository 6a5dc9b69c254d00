// Strict checking of incoming request bytes against the message type, before
// protobufjs decodes them. protobufjs is lenient on Node buffers: a string or
// bytes field whose declared length runs past the end is cut short instead of
// refused (a truncated owner "abc" arrives as "a"), and invalid UTF-8 becomes
// U+FFFD. The wire format is walked once here, nested messages and map entries
// included, so every service gets INVALID_ARGUMENT for such input.
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';

const MAX_DEPTH = 64;

/** What a field is on the wire, as far as checking needs to know. */
interface FieldKind {
  name: string;
  /** protobufjs scalar type name ("string", "bytes", "int32" …) or a message. */
  type: string;
  message?: protobuf.Type;
  /** Map fields: their entries are messages of key (1) and value (2). */
  map?: { key: FieldKind; value: FieldKind };
}

function kindOf(f: protobuf.Field): FieldKind {
  const message = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
  const value: FieldKind = { name: `${f.name} value`, type: f.type, ...(message ? { message } : {}) };
  if (f instanceof protobuf.MapField) return { name: f.name, type: 'map', map: { key: { name: `${f.name} key`, type: f.keyType }, value } };
  return { ...value, name: f.name };
}

/** A varint at `pos`: its value (low 32 bits are enough for tags and lengths) and the next position. */
function varint(buf: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return undefined;
    const b = buf[pos + i] as number;
    if (i < 5) value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return [value, pos + i + 1];
  }
  return undefined;
}

function walk(buf: Uint8Array, start: number, end: number, field: (id: number) => FieldKind | undefined, where: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${where}: nested more than ${MAX_DEPTH} levels`;
  let pos = start;
  while (pos < end) {
    const tag = varint(buf, pos, end);
    if (!tag) return `${where}: truncated field tag`;
    const [key, afterTag] = tag;
    const id = Math.floor(key / 8);
    const wire = key % 8;
    const f = field(id);
    const name = f ? `${where}${f.name}` : `${where}field ${id}`;
    if (id === 0) return `${where}: field number 0`;
    pos = afterTag;
    switch (wire) {
      case 0: {
        const v = varint(buf, pos, end);
        if (!v) return `${name}: truncated varint`;
        pos = v[1];
        break;
      }
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        if (pos + size > end) return `${name}: truncated (${size} bytes needed, ${end - pos} left)`;
        pos += size;
        break;
      }
      case 2: {
        const len = varint(buf, pos, end);
        if (!len) return `${name}: truncated length`;
        const [n, from] = len;
        if (from + n > end) return `${name}: truncated (${n} bytes declared, ${end - from} left)`;
        const problem = f && checkValue(buf, from, from + n, f, name, depth);
        if (problem) return problem;
        pos = from + n;
        break;
      }
      default:
        return `${name}: wire type ${wire} is not used by proto3`;
    }
  }
  return undefined;
}

function checkValue(buf: Uint8Array, from: number, to: number, f: FieldKind, name: string, depth: number): string | undefined {
  if (f.type === 'string' && !isUtf8(buf.subarray(from, to))) return `${name}: not valid UTF-8`;
  if (f.map) {
    const { key, value } = f.map;
    return walk(buf, from, to, (id) => (id === 1 ? key : id === 2 ? value : undefined), `${name} entry: `, depth + 1);
  }
  if (f.message) return check(f.message, buf, from, to, `${name}.`, depth + 1);
  return undefined;
}

function check(type: protobuf.Type, buf: Uint8Array, start: number, end: number, where: string, depth: number): string | undefined {
  return walk(buf, start, end, (id) => {
    const f = type.fieldsById[id];
    return f && kindOf(f);
  }, where, depth);
}

/** Why `buf` is not a well-formed `type` message, or undefined when it is. */
export function wireProblem(type: protobuf.Type, buf: Uint8Array): string | undefined {
  return check(type, buf, 0, buf.length, '', 0);
}
