/**
 * One hosted connection, transport-neutral: the SessionLink an exchange's session talks to, built on
 * a Transport (WebSocket or TCP), and the wiring of the transport's events to the session. The
 * host's per-connection limits live here (subscriptions, the send buffer), so they hold the same on
 * every transport; an exception a session throws is logged with the connection it happened on and
 * closes that connection with 1011, never the process.
 */
import type { Logger } from '../core/log.js';
import type { FeedItem, ServerContext, ServerSession, ServerSide, SessionLink, StreamSpec } from './types.js';
import { writtenMessage, type Transport } from './transport.js';

/** Per-connection source of data: the simulator's market or a replay cursor. */
export interface SessionFeed {
  subscribe(stream: StreamSpec, deliver: (item: FeedItem) => void): { ok: true } | { ok: false; reason: string; code: 'limit' | 'unknown' };
  unsubscribe(streamKey: string): void;
  close(): void;
}

/**
 * Sees every message a session sends before the transport does (fault injection, counting): it
 * passes it on with `next` — now, later, changed, or not at all.
 */
export type OutboundFilter = (data: string | Uint8Array, binary: boolean, next: (data: string | Uint8Array, binary: boolean) => void, transport: Transport) => void;

interface LinkLimits {
  maxSubscriptionsPerConnection: number;
  maxFrameBytes: number;
  /** Above this many buffered bytes a client is closed with 1008 (it does not read). */
  maxBufferedBytes: number;
}

/** WebSocket close code for a failure inside ticktape (RFC 6455 §7.4.1). */
const INTERNAL_ERROR_CLOSE = 1011;

interface HostedSessionOptions {
  server: ServerSide;
  endpoint: string;
  context: ServerContext;
  feed: SessionFeed;
  transport: Transport;
  url: URL;
  limits: LinkLimits;
  outbound?: OutboundFilter;
  /** The host's identity registry (SessionLink.claim). */
  claim(identity: string, link: SessionLink): void;
  /** Called once, when the connection is gone (after the feed and the session were told). */
  onClosed(): void;
  log: Logger;
  /** Names the connection in log lines (exchange/endpoint over transport). */
  label: string;
}

interface HostedSession {
  link: SessionLink;
  session: ServerSession;
}

/** Creates the session on its link and starts its transport. Returns null when the session could not be created (logged; the connection is cut). */
export function hostSession(o: HostedSessionOptions): HostedSession | null {
  const { transport, feed, limits } = o;
  const subs = new Set<string>();
  let closed = false;
  let session: ServerSession | null = null;

  const failed = (what: string, err: unknown) => {
    o.log.error({ connection: o.label, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, `session failed ${what}: closing the connection (${INTERNAL_ERROR_CLOSE})`);
    link.close(INTERNAL_ERROR_CLOSE, 'internal error');
  };
  const transmit = (data: string | Uint8Array, binary: boolean) => {
    if (!closed && transport.open) transport.send(data, binary);
  };
  /** The link is open and the client reads: a message may go (a client past the buffer limit is closed). */
  const sendable = (): boolean => {
    if (closed || !transport.open) return false;
    if (transport.bufferedAmount() > limits.maxBufferedBytes) {
      link.close(1008, 'client too slow: send buffer limit exceeded');
      return false;
    }
    return true;
  };

  const link: SessionLink = {
    url: o.url,
    maxMessageBytes: limits.maxFrameBytes,
    bufferedAmount: () => transport.bufferedAmount(),
    cork: (fn) => transport.batch(fn),
    send(data, binary) {
      if (!sendable()) return;
      const isBinary = binary ?? typeof data !== 'string';
      if (o.outbound) o.outbound(data, isBinary, transmit, transport);
      else transport.send(data, isBinary);
    },
    sendWith(length, writer, binary) {
      if (!sendable()) return;
      const isBinary = binary ?? true;
      // a filter sees every message as bytes of its own: it may hold or change them
      if (o.outbound) o.outbound(writtenMessage(length, writer), isBinary, transmit, transport);
      else transport.sendWith(length, writer, isBinary);
    },
    ping() {
      if (!closed) transport.ping();
    },
    close(code, reason) {
      if (closed) return;
      closed = true;
      transport.close(code, reason);
    },
    claim(identity) {
      if (!closed) o.claim(identity, link);
    },
    subscribe(stream) {
      if (!subs.has(stream.key) && subs.size >= limits.maxSubscriptionsPerConnection) {
        return { ok: false, reason: `at most ${limits.maxSubscriptionsPerConnection} subscriptions per connection`, code: 'limit' };
      }
      const r = feed.subscribe(stream, (item) => {
        if (closed || !session) return;
        try {
          session.deliver(stream, item);
        } catch (err) {
          failed(`delivering ${stream.key}`, err);
        }
      });
      if (r.ok) subs.add(stream.key);
      return r;
    },
    unsubscribe(key) {
      subs.delete(key);
      feed.unsubscribe(key);
    },
  };

  try {
    session = o.server.createSession(o.endpoint, link, o.context);
  } catch (err) {
    o.log.error({ connection: o.label, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'session could not be created: connection cut');
    closed = true;
    feed.close();
    transport.terminate();
    o.onClosed();
    return null;
  }
  const s = session;
  transport.listen({
    message(data, binary) {
      if (closed) return;
      try {
        s.onMessage(data, binary);
      } catch (err) {
        failed('on a message', err);
      }
    },
    pong() {
      try {
        s.onPong?.();
      } catch (err) {
        failed('on a pong', err);
      }
    },
    close() {
      closed = true;
      feed.close();
      try {
        s.onClose();
      } catch (err) {
        o.log.error({ connection: o.label, err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'session failed while closing');
      }
      o.onClosed();
    },
  });
  return { link, session: s };
}
