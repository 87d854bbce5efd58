/**
 * Hosts the four exchanges' server sides on one HTTP port, each under its own path (the same
 * table for the simulator and the replay server), plus a raw TCP port for each exchange that is
 * also spoken over a byte stream (Coinsuper's MQTT). The host owns sockets, limits, TLS and the
 * client-identity registry; the exchange's ServerSession owns the protocol and never knows which
 * transport carries it.
 *
 * One contract per connection: `connection(info)` is called once for every connection that reaches
 * an exchange endpoint and returns `{ context, feed, outbound?, onOpen?, onClose? }` (the way hono's
 * `upgradeWebSocket(c => events)` does) — everything the caller keeps per connection lives in that
 * one closure. `onOpen` runs once the session exists and its transport is open; `onClose` runs
 * once when it is gone (never without `onOpen`). A connection refused before it opened (a failed
 * upgrade check, the connection limit) only has its feed closed.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { silentLogger, type Logger } from '../core/log.js';
import { EXCHANGES } from './registry.js';
import { hostSession, type OutboundFilter, type SessionFeed } from './session-link.js';
import { TcpTransport } from './tcp-transport.js';
import type { Transport, TransportKind } from './transport.js';
import { WsTransport } from './ws-transport.js';
import type { ExchangeId, ServerContext, ServerSession, SessionLink } from './types.js';
import { listenOn, type ListenWho } from '../core/listen.js';

export type { SessionFeed, OutboundFilter } from './session-link.js';
export type { Transport, TransportKind } from './transport.js';

export interface HostLimits {
  maxConnections: number;
  maxSubscriptionsPerConnection: number;
  /** Largest incoming message: a WebSocket frame (1009 above it), an MQTT packet on TCP or split across frames. */
  maxFrameBytes: number;
  maxHeaderBytes: number;
  /** Above this many buffered bytes a client is closed with 1008 (it does not read). */
  maxBufferedBytes: number;
  /** A request (or WebSocket upgrade, or TLS handshake) not complete after this long is answered 408 and closed (slowloris). */
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

/** Close code and reason for the older connection of a client identity another connection claimed (MQTT-3.1.4-2). */
export const TAKEN_OVER_CLOSE = { code: 1001, reason: 'taken over: a newer connection uses the same client id' } as const;

export interface Route {
  exchange: ExchangeId;
  endpoint: string;
  path: string;
  /** An extra path of the endpoint (EndpointInfo.aliases), not its own `/<exchange>/…` one. */
  alias?: boolean;
}

/** The path table: `/<exchange>/<endpoint path>` from each exchange's endpoints, plus their aliases. */
export function routes(): Route[] {
  const out: Route[] = [];
  for (const mod of Object.values(EXCHANGES)) {
    for (const [endpoint, info] of Object.entries(mod.client.endpoints)) {
      out.push({ exchange: mod.id, endpoint, path: info.simPath });
      for (const path of info.aliases ?? []) out.push({ exchange: mod.id, endpoint, path, alias: true });
    }
  }
  return out;
}

/** What the host knows about a connection when it asks for its handlers. */
export interface ConnectionInfo {
  route: Route;
  transport: TransportKind;
  /** The upgrade request's URL (tokens, replay overrides, `fault.*`); on TCP `tcp://<host>:<port>/`, with no query. */
  url: URL;
  /** The upgrade request's headers; none on TCP. */
  headers: http.IncomingHttpHeaders;
}

/** A connection whose session exists, handed to `onOpen`. */
export interface OpenConnection {
  readonly info: ConnectionInfo;
  readonly link: SessionLink;
  readonly session: ServerSession;
  readonly transport: Transport;
}

export interface ConnectionHandlers {
  /** The session's context (a replay binds it to this connection's clock). */
  context: ServerContext;
  feed: SessionFeed;
  /** Sees every message the session sends (fault injection). */
  outbound?: OutboundFilter;
  onOpen?(conn: OpenConnection): void;
  onClose?(): void;
}

export type ConnectionFactory = (info: ConnectionInfo) => ConnectionHandlers;

export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface HostOptions {
  host?: string;
  port?: number;
  /**
   * Raw TCP listeners, per exchange that has one (ExchangeModule.tcp): a port (0 = any free one).
   * An exchange left out gets none.
   */
  tcpPorts?: Partial<Record<ExchangeId, number>>;
  /** Serve TLS on every listener: https/wss on the HTTP port, TLS on the TCP ports (mqtts). */
  tls?: TlsFiles;
  limits?: Partial<HostLimits>;
  connection: ConnectionFactory;
  /** Extra HTTP handler for non-upgrade requests (control API, /normalized). Return false when not handled. */
  onRequest?(req: http.IncomingMessage, res: http.ServerResponse): boolean | Promise<boolean>;
  /** WebSocket endpoints of the host itself (not an exchange), by path: e.g. the replay's /normalized. */
  extraSockets?: Record<string, (ws: WebSocket, url: URL) => void>;
  /** Where session failures are logged (default: nowhere). */
  logger?: Logger;
  /** What a listen error calls this server and the option that sets its port (`--port`). */
  listenAs?: ListenWho;
  /** The same for the TCP listeners (`--mqtt-port`). */
  tcpListenAs?: ListenWho;
}

/** One URL a client can connect to. */
export interface HostedEndpoint {
  exchange: ExchangeId;
  endpoint: string;
  transport: TransportKind;
  url: string;
  alias: boolean;
}

export interface ExchangeHost {
  server: http.Server;
  port: number;
  /** The TCP port of an exchange's byte-stream listener, or null when it has none. */
  tcpPort(exchange: ExchangeId): number | null;
  /** The WebSocket URL of an endpoint (its own path). */
  url(exchange: ExchangeId, endpoint: string): string;
  /** Every URL served: WebSocket paths (aliases included) and TCP listeners. */
  endpoints(): HostedEndpoint[];
  connections(): number;
  close(): Promise<void>;
}

export async function startHost(opts: HostOptions): Promise<ExchangeHost> {
  const limits: HostLimits = { ...DEFAULT_HOST_LIMITS, ...opts.limits };
  const log = opts.logger ?? silentLogger;
  const table = new Map(routes().map((r) => [r.path, r]));
  const transports = new Set<Transport>();
  const extraSockets = new Set<WebSocket>();
  /** `<exchange>\0<identity>` → the link holding it (SessionLink.claim). */
  const identities = new Map<string, SessionLink>();
  const open = () => transports.size + extraSockets.size;

  const serverOptions: http.ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    // Node checks the headers timeout on this cadence (30 s by default, longer than the timeout itself).
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const onHttp = (req: http.IncomingMessage, res: http.ServerResponse) => {
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
  };
  const server: http.Server = opts.tls ? https.createServer({ ...serverOptions, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: limits.headersTimeoutMs }, onHttp) : http.createServer(serverOptions, onHttp);

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

  const claim = (exchange: ExchangeId) => (identity: string, link: SessionLink) => {
    const key = `${exchange}\0${identity}`;
    const holder = identities.get(key);
    identities.set(key, link);
    if (holder && holder !== link) holder.close(TAKEN_OVER_CLOSE.code, TAKEN_OVER_CLOSE.reason);
  };
  const release = (link: SessionLink) => {
    for (const [key, holder] of identities) if (holder === link) identities.delete(key);
  };

  /** Runs one connection: its session on its link, the caller's handlers around it. */
  function accept(info: ConnectionInfo, handlers: ConnectionHandlers, transport: Transport): void {
    transports.add(transport);
    let opened = false;
    let link: SessionLink | null = null;
    const hosted = hostSession({
      server: EXCHANGES[info.route.exchange].server,
      endpoint: info.route.endpoint,
      context: handlers.context,
      feed: handlers.feed,
      transport,
      url: info.url,
      limits,
      outbound: handlers.outbound,
      claim: claim(info.route.exchange),
      log,
      label: `${info.route.exchange}/${info.route.endpoint} over ${info.transport}`,
      onClosed: () => {
        transports.delete(transport);
        if (link) release(link);
        if (opened) handlers.onClose?.();
      },
    });
    if (!hosted) return;
    link = hosted.link;
    opened = true;
    handlers.onOpen?.({ info, link: hosted.link, session: hosted.session, transport });
  }

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = table.get(url.pathname.replace(/\/+$/, '') || '/');
    const reject = (status: number, body: string, headers: Record<string, string> = {}) => {
      const extra = Object.entries(headers)
        .filter(([k, v]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && !/[\r\n]/.test(v))
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${extra}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      socket.destroy();
    };
    const extra = opts.extraSockets?.[url.pathname];
    if ((route || extra) && open() >= limits.maxConnections) return reject(503, 'too many connections');
    if (!route && extra) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        extraSockets.add(ws);
        ws.on('close', () => extraSockets.delete(ws));
        ws.on('error', () => undefined);
        extra(ws, url);
      });
      return;
    }
    if (!route) return reject(404, `no exchange endpoint at ${url.pathname}`);
    const info: ConnectionInfo = { route, transport: 'websocket', url, headers: req.headers };
    const handlers = opts.connection(info);
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const decision = EXCHANGES[route.exchange].server.checkUpgrade(route.endpoint, { url, headers: req.headers, protocols }, handlers.context);
    if (!decision.ok) {
      handlers.feed.close();
      return reject(decision.status, decision.body, decision.headers);
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(info, handlers, new WsTransport(ws, socket)));
  });

  const bindHost = opts.host ?? '127.0.0.1';
  /** The URL scheme clients use for an exchange's byte stream: its first plain one (`tcp`), or its first TLS one (`mqtts`). */
  const tcpScheme = (exchange: ExchangeId) => {
    const schemes = EXCHANGES[exchange].tcp?.schemes;
    return (opts.tls ? schemes?.tls[0] : schemes?.plain[0]) ?? 'tcp';
  };
  // a port in use or out of range is an error that names the option to change (core/listen.ts)
  const listen = async (srv: net.Server, port: number, who: ListenWho) => {
    await listenOn(srv, bindHost, port, who);
    return (srv.address() as AddressInfo).port;
  };

  const tcpServers = new Map<ExchangeId, { server: net.Server; port: number; sockets: Set<net.Socket> }>();
  const closeAll = async () => {
    for (const t of transports) t.terminate();
    for (const ws of extraSockets) ws.terminate();
    wss.close();
    await Promise.all([
      new Promise<void>((resolve) => server.close(() => resolve())),
      ...[...tcpServers.values()].map(
        (t) =>
          new Promise<void>((resolve) => {
            for (const s of t.sockets) s.destroy();
            t.server.close(() => resolve());
          }),
      ),
    ]);
  };

  try {
    await listen(server, opts.port ?? 0, opts.listenAs ?? { what: 'the server', option: 'port', alternative: 'port 0 for any free port' });
    for (const [exchange, port] of Object.entries(opts.tcpPorts ?? {}) as Array<[ExchangeId, number | undefined]>) {
      const proto = EXCHANGES[exchange].tcp;
      if (port === undefined || !proto) continue;
      const route: Route = { exchange, endpoint: proto.endpoint, path: '' };
      const sockets = new Set<net.Socket>();
      const onSocket = (socket: net.Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
        if (open() >= limits.maxConnections) {
          socket.destroy();
          return;
        }
        const url = new URL(`${tcpScheme(exchange)}://${urlHost(bindHost)}:${tcpServers.get(exchange)?.port ?? port}/`);
        const info: ConnectionInfo = { route, transport: 'tcp', url, headers: {} };
        const transport = new TcpTransport(socket, proto.framer(limits.maxFrameBytes), (reason) => log.info({ connection: `${exchange}/${proto.endpoint} over tcp`, reason }, 'connection cut: its bytes broke the protocol'));
        accept(info, opts.connection(info), transport);
      };
      const srv = opts.tls ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: limits.headersTimeoutMs }, onSocket) : net.createServer(onSocket);
      if (opts.tls) srv.on('tlsClientError', (_err, socket) => socket.destroy());
      const entry = { server: srv, port, sockets };
      tcpServers.set(exchange, entry);
      entry.port = await listen(srv, port, opts.tcpListenAs ?? { what: `the ${exchange} TCP listener`, option: 'its TCP port', alternative: '0 for any free port' });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }

  const port = (server.address() as AddressInfo).port;
  const wsScheme = opts.tls ? 'wss' : 'ws';
  const wsUrl = (path: string) => `${wsScheme}://${urlHost(bindHost)}:${port}${path}`;
  return {
    server,
    port,
    tcpPort: (exchange) => tcpServers.get(exchange)?.port ?? null,
    url(exchange, endpoint) {
      const info = EXCHANGES[exchange].client.endpoints[endpoint];
      if (!info) throw new Error(`unknown endpoint ${exchange}/${endpoint}`);
      return wsUrl(info.simPath);
    },
    endpoints() {
      const out: HostedEndpoint[] = routes().map((r) => ({ exchange: r.exchange, endpoint: r.endpoint, transport: 'websocket', url: wsUrl(r.path), alias: r.alias === true }));
      for (const [exchange, t] of tcpServers) {
        out.push({ exchange, endpoint: EXCHANGES[exchange].tcp!.endpoint, transport: 'tcp', url: `${tcpScheme(exchange)}://${urlHost(bindHost)}:${t.port}`, alias: false });
      }
      return out;
    },
    connections: open,
    close: closeAll,
  };
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
