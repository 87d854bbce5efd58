/**
 * The recorder's HTTP endpoint (loopback by default): GET /health (JSON), GET /metrics (Prometheus
 * text), and POST /rotate[?exchange=X] which starts a make-before-break rotation of every
 * connection (of one exchange) now — for tests and for operators who want to check the stitch.
 * POST /rotate is a control request (core/control-guard.ts): refused unless its Host names this
 * server and any Origin is its own, and without the bearer token when one is configured.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkControlRequest } from '../core/control-guard.js';
import { listenOn } from '../core/listen.js';
import type { HealthDoc } from './health.js';
import type { Metrics } from './metrics.js';

interface HttpHandlers {
  health(): HealthDoc;
  metrics: Metrics;
  rotate(exchange: string | null): number;
  /** The bearer token POST /rotate requires (`controlToken`), or null; read per request, so a reload applies. */
  controlToken(): string | null;
  /** A control request was refused (logged: an operator should know a page tried). */
  refused?(path: string, message: string, origin: string | null): void;
}

export interface RecorderHttp {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function startHttp(host: string, port: number, h: HttpHandlers): Promise<RecorderHttp> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/health') {
        const doc = h.health();
        return send(doc.status === 'failing' ? 503 : 200, 'application/json', `${JSON.stringify(doc, null, 1)}\n`);
      }
      if (req.method === 'GET' && url.pathname === '/metrics') {
        h.metrics.render().then(
          (text) => send(200, h.metrics.contentType, text),
          (err: unknown) => send(500, 'text/plain', String((err as Error)?.message ?? err)),
        );
        return;
      }
      if (req.method === 'POST' && url.pathname === '/rotate') {
        const verdict = checkControlRequest(req.headers, { port: (server.address() as AddressInfo).port, listenHost: host, token: h.controlToken() });
        if (!verdict.ok) {
          h.refused?.(url.pathname, verdict.message, req.headers.origin ?? null);
          res.writeHead(verdict.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
          return res.end(`${JSON.stringify({ error: verdict.message })}\n`);
        }
        const n = h.rotate(url.searchParams.get('exchange'));
        return send(200, 'application/json', `${JSON.stringify({ rotating: n })}\n`);
      }
      send(404, 'application/json', `${JSON.stringify({ error: 'not found', paths: ['GET /health', 'GET /metrics', 'POST /rotate?exchange='] })}\n`);
    } catch (err) {
      send(500, 'text/plain', String((err as Error)?.message ?? err));
    }
  });
  await listenOn(server, host, port, { what: 'the HTTP endpoint (/health, /metrics)', option: '--http host:port (or http: in the config)', alternative: '--http off' });
  const addr = server.address() as AddressInfo;
  return {
    address: { host: addr.address, port: addr.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
