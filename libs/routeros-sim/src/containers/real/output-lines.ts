// A container's stdout/stderr as lines, the unit RouterOS logs them in. Bounded: a line
// longer than MAX_LINE is cut into pieces, and a trailing partial line is flushed at the end.
import type { Readable } from 'node:stream';

const MAX_LINE = 4096;

export function eachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
    }
    while (buf.length > MAX_LINE) {
      onLine(buf.slice(0, MAX_LINE));
      buf = buf.slice(MAX_LINE);
    }
  });
  return new Promise((resolve) => {
    const end = () => {
      if (buf) onLine(buf);
      buf = '';
      resolve();
    };
    stream.on('end', end);
    stream.on('error', end);
  });
}
