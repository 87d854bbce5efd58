/**
 * One replay connection, as the host's per-connection contract: its context on its own replay clock,
 * a ReplayCursor as its feed, and its share of a session (sessions.ts) — joined when the cursor's
 * clock starts, left when the connection closes. With paper trading, connections that name no
 * session share the default one (one bot, one account), every open connection holds its session,
 * and the context trades on the session's paper account. A connection whose URL parameters are
 * refused (`?speed=fast`) is closed with 1008 and the reason as soon as it opens.
 */
import type { Logger } from '../core/log.js';
import type { ConnectionFactory, ConnectionHandlers, SessionFeed } from '../exchanges/host.js';
import type { ExchangeId, ServerContext } from '../exchanges/types.js';
import type { TapeRecord } from '../schemas/record.js';
import type { Catalog } from './catalog.js';
import { ReplayCursor } from './cursor.js';
import { connectionOverrides, type ReplayOptions } from './options.js';
import { connectionRangeProblem } from './range-check.js';
import type { ReadPool } from './read-pool.js';
import { DEFAULT_PAPER_SESSION, type PaperDesk } from './paper/desk.js';
import type { ReplaySessionInfo, ReplaySessions } from './sessions.js';
import type { ReplayStats } from './stats.js';
import type { TimelineRegistry } from './timeline.js';

/** A WebSocket close reason is at most 123 bytes. */
const MAX_CLOSE_REASON_CHARS = 120;

interface ReplayConnectionDeps {
  opts: ReplayOptions;
  catalog: Catalog;
  sessions: ReplaySessions;
  stats: ReplayStats;
  timelines: TimelineRegistry;
  reads: ReadPool;
  context(exchange: ExchangeId, recordedNow: () => bigint | null): ServerContext;
  primers(exchange: ExchangeId, streams: string[], beforeNs: bigint): Promise<TapeRecord[]>;
  /** Paper trading (`--paper`), or null. */
  desk: PaperDesk | null;
  /** Where a named session's clock starts: the earliest recording of every exchange (it may span them). */
  globalFirst: bigint | null;
  log: Logger;
}

export function replayConnections(d: ReplayConnectionDeps): ConnectionFactory {
  const { opts, catalog, sessions, stats, desk, globalFirst } = d;
  let anonymous = 0;

  return ({ route, url }): ConnectionHandlers => {
    const exchange = route.exchange;
    const c = catalog[exchange];
    let overrides;
    try {
      overrides = connectionOverrides(url, opts);
    } catch (err) {
      const reason = `bad replay parameter: ${(err as Error).message}`;
      return { context: d.context(exchange, () => null), feed: refusingFeed(reason), onOpen: (conn) => conn.link.close(1008, reason.slice(0, MAX_CLOSE_REASON_CHARS)) };
    }
    const outside = connectionRangeProblem(d.catalog[exchange], overrides.fromNs, overrides.toNs);
    if (outside) {
      const reason = `bad replay parameter: ${outside}`;
      return { context: d.context(exchange, () => null), feed: refusingFeed(reason), onOpen: (conn) => conn.link.close(1008, reason.slice(0, MAX_CLOSE_REASON_CHARS)) };
    }
    const sessionId = overrides.sessionId ?? (desk ? DEFAULT_PAPER_SESSION : `c${++anonymous}`);
    const named = overrides.sessionId !== null || desk !== null;
    const { toNs } = overrides;
    const rangeStart = overrides.fromNs ?? (named ? globalFirst : c.firstNs) ?? 0n;
    // before the first subscription the connection stands where its session is, or at the start of its range
    const startNs = (named ? sessions.nowOf(sessionId) : undefined) ?? rangeStart;
    let joined: ReplaySessionInfo | null = null;
    const cursor = new ReplayCursor({
      exchange,
      graceMs: opts.graceMs,
      continueOnGaps: opts.continueOnGaps,
      loop: opts.loop,
      softBufferBytes: opts.softBufferBytes,
      maxBufferedBytes: opts.maxBufferedBytes,
      streams: c.streams,
      disconnects: c.disconnects,
      stats,
      clock: () => {
        joined = sessions.join(sessionId, rangeStart, overrides.speed);
        return joined.clock;
      },
      timeline: (fromNs, shared) => {
        const source = () => counted(d.reads.read({ exchanges: [exchange], directions: ['in', 'event'], fromNs, toNs: toNs ?? undefined }), stats);
        return shared ? d.timelines.shared(`${exchange}|${fromNs}|${toNs ?? ''}`, source) : d.timelines.own(source);
      },
      primers: (streams, beforeNs) => d.primers(exchange, streams, beforeNs),
      resume: (generation) => (named && joined ? joined.resume.forExchange(exchange, generation) : null),
      onEnd: () => d.log.info({ exchange, session: sessionId }, 'replay range ended'),
      onReadError: (err) => d.log.error({ exchange, session: sessionId, code: (err as { code?: string }).code, err: err.message }, 'the recording could not be read: connection closed (1011)'),
    });
    const context = d.context(exchange, () => joined?.clock.nowRecordedNs() ?? startNs);
    // the first connection of a paper session creates it with its own range and speed (its account
    // needs the clock now), and every open connection holds it
    const held = desk ? sessions.open(sessionId, overrides.fromNs ?? globalFirst ?? 0n, overrides.speed) : null;
    if (desk) context.trading = desk.account(sessionId, exchange);
    return {
      context,
      feed: desk ? desk.feed(sessionId, exchange, cursor) : cursor,
      onOpen: (conn) => {
        stats.sessionsOpened++;
        cursor.bind(conn.link, conn.session);
        if (held) sessions.hold(held);
      },
      onClose: () => {
        const s = joined;
        joined = null;
        if (s) sessions.leave(s, named);
        if (held) sessions.unhold(held, named);
      },
    };
  };
}

/** Records read from the store, and reads open, counted: with fan-out, clients of one range share one read. */
async function* counted(batches: AsyncIterable<TapeRecord[]>, stats: ReplayStats): AsyncGenerator<TapeRecord[]> {
  stats.readsOpen++;
  if (stats.readsOpen > stats.readsPeak) stats.readsPeak = stats.readsOpen;
  try {
    for await (const b of batches) {
      stats.recordsRead += b.length;
      yield b;
    }
  } finally {
    stats.readsOpen--;
  }
}

/** The feed of a connection whose parameters were refused: it subscribes nothing. */
function refusingFeed(reason: string): SessionFeed {
  return {
    subscribe: () => ({ ok: false, reason, code: 'unknown' }),
    unsubscribe: () => undefined,
    close: () => undefined,
  };
}
