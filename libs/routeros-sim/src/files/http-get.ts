// The router's HTTP(S) client for /tool/fetch: node:http(s) so that certificate checking
// follows `check-certificate` (RouterOS default: no), redirects followed up to 5 hops.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface GetOptions {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  checkCertificate: boolean;
  timeoutMs: number;
}

export function httpGet(url: URL, o: GetOptions, hops = 5): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: o.method, headers: o.headers, rejectUnauthorized: o.checkCertificate, timeout: o.timeoutMs }, (res) => {
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location && hops > 0) {
        res.resume();
        httpGet(new URL(location, url), o, hops - 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}
