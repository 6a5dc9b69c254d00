// A real headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for tests
// of pages we serve: open a URL, evaluate script in it, take a screenshot. The protocol runs
// over --remote-debugging-pipe (fds 3 and 4: no debugging port anyone else could reach), and
// the browser is kept on loopback — every other host goes to a dead proxy and DNS answers
// nothing — with its background services (updates, safe browsing, sync) off.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

const BINARIES = ['chromium', 'chromium-browser'];

function findChromium(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const b of BINARIES) {
      try {
        accessSync(join(dir, b), constants.X_OK);
        return join(dir, b);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Why a browser test cannot run here, or undefined. */
export function chromiumUnavailable(): string | undefined {
  return findChromium() ? undefined : 'chromium is not installed (Debian package chromium; make deps installs it as root)';
}

export interface Browser {
  /** Navigates and waits for the load event. */
  goto(url: string, timeoutMs?: number): Promise<void>;
  /** Evaluates `expression` in the page (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Polls `expression` until it returns something other than undefined/null/false. */
  waitFor<T>(expression: string, timeoutMs?: number): Promise<T>;
  /** A PNG of the whole page. */
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
  params?: Record<string, unknown>;
}

const LOOPBACK_ONLY = [
  '--proxy-server=http://127.0.0.1:9', // loopback bypasses a proxy; anything else meets a closed port
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-client-side-phishing-detection',
  '--disable-domain-reliability',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--no-pings',
  '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication',
];

export async function startChromium(opts: { width?: number; height?: number } = {}): Promise<Browser> {
  const bin = findChromium();
  if (!bin) throw new Error(chromiumUnavailable());
  const profile = mkdtempSync(join(tmpdir(), 'chromium-test-'));
  const args = [
    '--headless',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    `--window-size=${opts.width ?? 1280},${opts.height ?? 900}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--hide-scrollbars',
    '--password-store=basic',
    ...LOOPBACK_ONLY,
    // Root (a CI container) cannot use the setuid sandbox.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    'about:blank',
  ];
  // Its own process group, so its renderer and zygote processes go with it.
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], detached: true });
  const kill = () => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', kill);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  child.stdout?.resume();
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const exited = once(child, 'exit');

  let nextId = 1;
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(m: Message) => void>();
  let buffered = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const m = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (m.id !== undefined) pending.get(m.id)?.resolve(m);
      else for (const l of listeners) l(m);
    }
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited: ${stderr}`));
  });

  const send = async (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
    const id = nextId++;
    const reply = new Promise<Message>((resolve, reject) => pending.set(id, { resolve, reject }));
    toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    const m = await reply.finally(() => pending.delete(id));
    if (m.error) throw new Error(`${method}: ${m.error.message}`);
    return m.result ?? {};
  };
  const event = (method: string, sessionId: string, timeoutMs: number) =>
    new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(l);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${method}`));
      }, timeoutMs);
      const l = (m: Message) => {
        if (m.method !== method || m.sessionId !== sessionId) return;
        clearTimeout(timer);
        listeners.delete(l);
        resolve(m);
      };
      listeners.add(l);
    });

  let session: string;
  try {
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    ({ sessionId: session } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string });
    await send('Page.enable', {}, session);
    await send('Runtime.enable', {}, session);
  } catch (e) {
    kill();
    process.off('exit', kill);
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`chromium did not start: ${(e as Error).message}\n${stderr}`);
  }

  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session)) as { result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } };
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  };

  return {
    async goto(url, timeoutMs = 15_000) {
      const loaded = event('Page.loadEventFired', session, timeoutMs);
      const r = (await send('Page.navigate', { url }, session)) as { errorText?: string };
      if (r.errorText) throw new Error(`navigating to ${url}: ${r.errorText}`);
      await loaded;
    },
    evaluate,
    async waitFor<T>(expression: string, timeoutMs = 15_000): Promise<T> {
      const end = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        last = await evaluate<T>(expression);
        if (last !== undefined && last !== null && last !== false) return last as T;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting in the page for ${expression}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async screenshot(path) {
      const m = (await send('Page.getLayoutMetrics', {}, session)) as { cssContentSize: { width: number; height: number } };
      const { width, height } = m.cssContentSize;
      const shot = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height, scale: 1 } }, session)) as { data: string };
      writeFileSync(path, Buffer.from(shot.data, 'base64'));
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        await send('Browser.close').catch(() => undefined);
        const timer = setTimeout(kill, 5000);
        await exited;
        clearTimeout(timer);
      }
      kill(); // helpers that outlived the browser
      process.off('exit', kill);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
