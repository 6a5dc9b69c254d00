// Reads ginkgo's JUnit report into one record per spec.
import { readFileSync } from 'node:fs';

export interface SpecResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending';
  message: string;
  seconds: number;
}

const unescape = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#xA;/g, '\n').replace(/&#x9;/g, '\t').replace(/&amp;/g, '&');

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m?.[1] !== undefined ? unescape(m[1]) : undefined;
};

export function parseJunit(path: string): SpecResult[] {
  const xml = readFileSync(path, 'utf8');
  const out: SpecResult[] = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const head = m[1] ?? '';
    const body = m[3] ?? '';
    const name = attr(head, 'name') ?? '?';
    // Suite setup/teardown nodes are not specs.
    if (/^\[(BeforeSuite|AfterSuite|SynchronizedBeforeSuite|SynchronizedAfterSuite|ReportAfterSuite|ReportBeforeSuite|DeferCleanup)/.test(name)) continue;
    const failure = /<(failure|error)\b([^>]*)>([\s\S]*?)<\/\1>|<(failure|error)\b([^>]*)\/>/.exec(body);
    const skipped = /<skipped\b([^>]*)\/?>/.exec(body);
    const declared = attr(head, 'status');
    let status: SpecResult['status'] = 'passed';
    if (failure) status = 'failed';
    else if (skipped || declared === 'skipped') status = 'skipped';
    else if (declared === 'pending') status = 'pending';
    const message = failure ? unescape(`${attr(failure[2] ?? failure[5] ?? '', 'message') ?? ''}\n${failure[3] ?? ''}`).trim() : skipped ? (attr(skipped[1] ?? '', 'message') ?? '') : '';
    out.push({ name: name.replace(/^\[It\]\s*/, ''), status, message, seconds: Number(attr(head, 'time') ?? 0) });
  }
  return out;
}
