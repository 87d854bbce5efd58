/**
 * Hosts the four exchanges' server sides on one HTTP port, each under its own path (the same
 * table for the simulator and the replay server). The host owns sockets, limits and the feed;
 * the exchange's ServerSession owns the protocol.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EXCHANGES } from './registry.js';
import type { ExchangeId, FeedItem, ServerContext, ServerSession, SessionLink, StreamSpec } from './types.js';

/** Per-connection source of data: the simulator's market or a replay cursor. */
export interface SessionFeed {
  subscribe(stream: StreamSpec, deliver: (item: FeedItem) => void): { ok: true } | { ok: false; reason: string; code: 'limit' | 'unknown' };
  unsubscribe(streamKey: string): void;
  close(): void;
  /** Called once the session exists: a feed that paces or closes the connection itself (replay) keeps both. */
  bind?(link: SessionLink, session: ServerSession): void;
}

export interface HostLimits {
  maxConnections: number;
  maxSubscriptionsPerConnection: number;
  maxFrameBytes: number;
  maxHeaderBytes: number;
  /** Above this many buffered bytes a client is closed with 1008 (it does not read). */
  maxBufferedBytes: number;
  /** A request (or WebSocket upgrade) whose headers are not complete after this long is answered 408 and closed (slowloris). */
  headersTimeoutMs: number;
}

export const DEFAULT_HOST_LIMITS: HostLimits = {
  maxConnections: 1024,
  maxSubscriptionsPerConnection: 256,
  maxFrameBytes: 1 << 20,
  maxHeaderBytes: 16 << 10,
  maxBufferedBytes: 5 << 20,
  headersTimeoutMs: 10_000,
};

export interface Route {
  exchange: ExchangeId;
  endpoint: string;
  path: string;
}

/** The path table: `/<exchange>/<endpoint path>` from each exchange's endpoints. */
export function routes(): Route[] {
  const out: Route[] = [];
  for (const mod of Object.values(EXCHANGES)) {
    for (const [endpoint, info] of Object.entries(mod.client.endpoints)) {
      out.push({ exchange: mod.id, endpoint, path: info.simPath });
    }
  }
  return out;
}

export interface HostOptions {
  host?: string;
  port?: number;
  limits?: Partial<HostLimits>;
  contextFor(exchange: ExchangeId): ServerContext;
  /** `ctx` is the one `contextFor` returned for this connection (a replay binds it to the connection's clock). */
  feedFor(route: Route, url: URL, ctx: ServerContext): SessionFeed;
  /** Extra HTTP handler for non-upgrade requests (control API, /normalized). Return false when not handled. */
  onRequest?(req: http.IncomingMessage, res: http.ServerResponse): boolean | Promise<boolean>;
  /** WebSocket endpoints of the host itself (not an exchange), by path: e.g. the replay's /normalized. */
  extraSockets?: Record<string, (ws: WebSocket, url: URL) => void>;
  /** Called for every accepted socket (fault injection, metrics). */
  onConnection?(ws: WebSocket, route: Route, session: ServerSession): void;
}

export interface ExchangeHost {
  server: http.Server;
  port: number;
  url(exchange: ExchangeId, endpoint: string): string;
  connections(): number;
  close(): Promise<void>;
}

/** The socket under a ws connection when direct writes are safe (its sender idle), else null. */
function rawSocket(ws: WebSocket): { write(b: Buffer): boolean } | null {
  const w = ws as unknown as { _socket?: { write(b: Buffer): boolean }; _sender?: { _state?: number } };
  return w._socket && w._sender?._state === 0 ? w._socket : null;
}

/** Header length of an unmasked server frame (RFC 6455 §5.2) with a payload of `len` bytes. */
function headerBytes(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Frames gathered in a corked batch, written as one buffer: headers and payloads copied once. */
function frameBatch(frames: Array<{ data: string | Uint8Array; len: number; binary: boolean }>, total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const f of frames) {
    const len = f.len;
    out[at] = 0x80 | (f.binary ? 2 : 1);
    if (len < 126) {
      out[at + 1] = len;
      at += 2;
    } else if (len < 65536) {
      out[at + 1] = 126;
      out.writeUInt16BE(len, at + 2);
      at += 4;
    } else {
      out[at + 1] = 127;
      out.writeBigUInt64BE(BigInt(len), at + 2);
      at += 10;
    }
    if (typeof f.data === 'string') out.write(f.data, at, 'utf8');
    else out.set(f.data, at);
    at += len;
  }
  return out;
}

export async function startHost(opts: HostOptions): Promise<ExchangeHost> {
  const limits: HostLimits = { ...DEFAULT_HOST_LIMITS, ...opts.limits };
  const table = new Map(routes().map((r) => [r.path, r]));
  const sockets = new Set<WebSocket>();

  const server = http.createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    // Node checks the headers timeout on this cadence (30 s by default, longer than the timeout itself).
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
  }, (req, res) => {
    Promise.resolve(opts.onRequest?.(req, res) ?? false)
      .then((handled) => {
        if (handled) return;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'not found', paths: [...table.keys()] }));
      })
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String((err as Error)?.message ?? err) }));
      });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => {
      // MQTT clients ask for 'mqtt' (3.1.1) or 'mqttv3.1'; JSON clients usually ask for none.
      for (const p of protocols) return p;
      return false;
    },
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = table.get(url.pathname.replace(/\/+$/, '') || '/');
    const reject = (status: number, body: string) => {
      socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy();
    };
    const extra = opts.extraSockets?.[url.pathname];
    if ((route || extra) && sockets.size >= limits.maxConnections) return reject(503, 'too many connections');
    if (!route && extra) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        ws.on('error', () => undefined);
        extra(ws, url);
      });
      return;
    }
    if (!route) return reject(404, `no exchange endpoint at ${url.pathname}`);
    const mod = EXCHANGES[route.exchange];
    const ctx = opts.contextFor(route.exchange);
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const decision = mod.server.checkUpgrade(route.endpoint, { url, headers: req.headers, protocols }, ctx);
    if (!decision.ok) return reject(decision.status, decision.body);
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, route, url, ctx));
  });

  function accept(ws: WebSocket, route: Route, url: URL, ctx: ServerContext): void {
    sockets.add(ws);
    const feed = opts.feedFor(route, url, ctx);
    const subs = new Set<string>();
    let closed = false;
    // Inside cork(), frames are gathered and written to the socket as one buffer (headers included):
    // one write instead of two per frame, the replay's max-speed path. ws writes nothing of its own
    // in between (no compression: its sender never queues), so frames keep their order.
    let batch: Array<{ data: string | Uint8Array; len: number; binary: boolean }> | null = null;
    let batchBytes = 0;
    const flush = () => {
      const frames = batch;
      const total = batchBytes;
      batch = null;
      batchBytes = 0;
      if (!frames || frames.length === 0 || closed || ws.readyState !== ws.OPEN) return;
      rawSocket(ws)?.write(frameBatch(frames, total));
    };
    const link: SessionLink = {
      url,
      bufferedAmount: () => ws.bufferedAmount + batchBytes,
      cork(fn) {
        if (batch || !rawSocket(ws)) {
          fn();
          return;
        }
        batch = [];
        try {
          fn();
        } finally {
          flush();
        }
      },
      send(data, binary) {
        if (closed || ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount + batchBytes > limits.maxBufferedBytes) {
          link.close(1008, 'client too slow: send buffer limit exceeded');
          return;
        }
        const isBinary = binary ?? typeof data !== 'string';
        if (batch) {
          const len = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
          batch.push({ data, len, binary: isBinary });
          batchBytes += headerBytes(len) + len;
          return;
        }
        ws.send(data, { binary: isBinary });
      },
      ping() {
        flush();
        if (!closed && ws.readyState === ws.OPEN) ws.ping();
      },
      close(code, reason) {
        if (closed) return;
        flush(); // frames gathered before the close go first
        closed = true;
        if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
      },
      subscribe(stream) {
        if (!subs.has(stream.key) && subs.size >= limits.maxSubscriptionsPerConnection) {
          return { ok: false, reason: `at most ${limits.maxSubscriptionsPerConnection} subscriptions per connection`, code: 'limit' };
        }
        const r = feed.subscribe(stream, (item) => {
          if (!closed) session.deliver(stream, item);
        });
        if (r.ok) subs.add(stream.key);
        return r;
      },
      unsubscribe(key) {
        subs.delete(key);
        feed.unsubscribe(key);
      },
    };
    const session = EXCHANGES[route.exchange].server.createSession(route.endpoint, link, ctx);
    feed.bind?.(link, session);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        session.onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary);
      } catch {
        link.close(1011, 'internal error');
      }
    });
    ws.on('pong', () => session.onPong?.());
    ws.on('error', () => undefined);
    ws.on('close', () => {
      closed = true;
      sockets.delete(ws);
      feed.close();
      session.onClose();
    });
    opts.onConnection?.(ws, route, session);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  return {
    server,
    port,
    url(exchange, endpoint) {
      const info = EXCHANGES[exchange].client.endpoints[endpoint];
      if (!info) throw new Error(`unknown endpoint ${exchange}/${endpoint}`);
      return `ws://${host.includes(':') ? `[${host}]` : host}:${port}${info.simPath}`;
    },
    connections: () => sockets.size,
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
