/**
 * An HTTP proxy in front of a moto server that holds the requests `hold` picks until `release()`
 * (every other request goes through at once): what a test uses to stop a reader of a bucket at a
 * chosen day and look at what it asked for by then. `held` lists the held requests' URLs (decoded),
 * `onHold` is called with each as it is held.
 */
import http from 'node:http';
import type net from 'node:net';

export interface HoldingProxy {
  endpoint: string;
  held: string[];
  onHold: ((url: string) => void) | null;
  release(): void;
  close(): Promise<void>;
}

export async function holdingProxy(targetEndpoint: string, hold: (method: string, url: string) => boolean): Promise<HoldingProxy> {
  const target = new URL(targetEndpoint);
  let waiting: Array<() => void> = [];
  let released = false;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const go = () => {
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (!released && hold(req.method ?? '', req.url ?? '')) {
      const u = decodeURIComponent(req.url ?? '');
      proxy.held.push(u);
      waiting.push(go);
      proxy.onHold?.(u);
    } else go();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Port 0: the system picks a free one.
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const proxy: HoldingProxy = {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    held: [],
    onHold: null,
    release() {
      released = true;
      for (const go of waiting) go();
      waiting = [];
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return proxy;
}
