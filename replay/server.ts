/**
 * The replay server: recorded data served back over each exchange's native protocol, on the same
 * paths as the simulator, so a client switches between simulator, replay and exchange by its base
 * URL alone. Also serves the control API and the normalized stream on the same port.
 */
import type http from 'node:http';
import { startHost, type ConnectionHandlers, type ConnectionInfo, type ExchangeHost, type SessionFeed } from '../exchanges/host.js';
import { EXCHANGES } from '../exchanges/registry.js';
import { EXCHANGE_IDS, type ExchangeId, type ServerContext } from '../exchanges/types.js';
import { readRecords, type ReadRecordsOptions } from '../store/reader/index.js';
import { openDuckSession, type DuckSession } from '../store/duck/index.js';
import { FLAG_OVERLAP, type TapeRecord } from '../schemas/record.js';
import { silentLogger, type Logger } from '../core/log.js';
import { instrumentsFromStreamKeys, readCatalog, type Catalog } from './catalog.js';
import { loadKlineHistory, type KlineHistory } from './history.js';
import { openTape } from '../store/duck/index.js';
import { ReplayClock } from './clock.js';
import { handleControl } from './control.js';
import { ReplayCursor } from './cursor.js';
import { SessionResume } from './session-resume.js';
import { connectionOverrides, REPLAY_DEFAULTS, type ReplayOptions } from './options.js';
import { ReplayStats } from './stats.js';
import { TimelineRegistry } from './timeline.js';
import { handleNormalized, NormalizedPool, serveNormalizedSocket } from './normalized.js';
import { seededRandom as seeded } from '../core/seeded-random.js';
import { sqlStr } from '../store/partitions.js';
import type { DuckDBBlobValue } from '@duckdb/node-api';
import type { Instrument } from '../exchanges/market.js';
import type { Speed } from './options.js';
import { DEFAULT_PAPER_SESSION, PaperDesk } from './paper/desk.js';
import { handlePaperHttp } from './paper/http.js';
import { tapeMarketData } from './paper/market-data.js';

/**
 * DuckDB sessions kept open between reads. Closing one is synchronous and takes tens of ms: done at
 * the end of a read, it would stall every paced client of the server. Reads borrow a session and
 * give it back; only sessions beyond this many idle ones are closed.
 */
export const IDLE_DUCK_SESSIONS = 2;

/** How far back request answers built from the recording (Coinstore `param.size`) look, widening: a minute, 15 minutes, a day. */
export const RECORDED_LOOKBACK_NS = [60n, 900n, 86_400n].map((s) => s * 1_000_000_000n);

/** What an order sent to a replay without paper trading is refused with (Coinceres biz_type 11/12). */
export const NO_TRADING_REASON = 'the replay does not trade: orders are refused unless it runs with paper trading (ticktape replay --paper)';

/** How far back a replay starting mid-recording looks for each stream's latest state. */
export const PRIMER_LOOKBACK_NS = 15n * 60n * 1_000_000_000n;

export interface ReplaySessionInfo {
  id: string;
  clock: ReplayClock;
  /** Connections whose replay runs on the session's clock (their cursor started). */
  connections: number;
  /** Paper trading: connections of the session that are open, replaying or not (a trading socket holds the session's account). */
  open: number;
  expiry: NodeJS.Timeout | null;
  /** Where the session's connections got to, per exchange: a reconnect continues there. */
  resume: SessionResume;
}

export interface ReplayServer {
  host: ExchangeHost;
  port: number;
  url(exchange: ExchangeId, endpoint: string): string;
  stats: ReplayStats;
  sessions: Map<string, ReplaySessionInfo>;
  catalog: Catalog;
  /** Paper trading (`--paper`), or null. */
  paper: PaperDesk | null;
  close(): Promise<void>;
}


export async function startReplay(partial: Partial<ReplayOptions> & { dataDir: string }, log: Logger = silentLogger): Promise<ReplayServer> {
  const opts: ReplayOptions = { ...REPLAY_DEFAULTS, ...partial };
  // The tape stays open: its views serve /normalized for the server's lifetime (like the catalog,
  // it sees the data as it was at start).
  const tape = await openTape(opts.dataDir);
  let catalog: Catalog;
  let klines: KlineHistory;
  try {
    catalog = await readCatalog(tape.conn);
    klines = await loadKlineHistory(tape.conn);
  } catch (err) {
    tape.close();
    throw err;
  }
  const normalizedPool = new NormalizedPool(tape);
  const globalFirst = Object.values(catalog).reduce<bigint | null>((m, c) => (c.firstNs !== null && (m === null || c.firstNs < m) ? c.firstNs : m), null);
  const stats = new ReplayStats();
  const sessions = new Map<string, ReplaySessionInfo>();
  const timelines = new TimelineRegistry(opts.readAheadBatches);
  let anonymous = 0;

  // One instrument list per exchange: contexts and paper accounts share the objects.
  const instrumentLists = new Map<ExchangeId, Instrument[]>();
  const instrumentsOf = (exchange: ExchangeId): Instrument[] => {
    let list = instrumentLists.get(exchange);
    if (!list) {
      const c = catalog[exchange];
      instrumentLists.set(exchange, (list = c.instruments.length ? c.instruments : instrumentsFromStreamKeys(c.streams.keys())));
    }
    return list;
  };

  /** A replay session: its clock is created with the session, at `startNs`. */
  const openSession = (id: string, startNs: bigint, speed: Speed): ReplaySessionInfo => {
    let s = sessions.get(id);
    if (!s) {
      s = { id, clock: new ReplayClock(startNs, speed), connections: 0, open: 0, expiry: null, resume: new SessionResume() };
      sessions.set(id, s);
    }
    return s;
  };

  const idle: DuckSession[] = [];
  let closing = false;
  async function* read(o: Omit<ReadRecordsOptions, 'dataDir' | 'session'>): AsyncGenerator<TapeRecord[]> {
    const session = idle.pop() ?? (await openDuckSession());
    try {
      yield* readRecords({ ...o, dataDir: opts.dataDir, session });
    } finally {
      if (!closing && idle.length < IDLE_DUCK_SESSIONS) idle.push(session);
      else setImmediate(() => session.close());
    }
  }

  const primers = async (exchange: ExchangeId, streams: string[], beforeNs: bigint): Promise<TapeRecord[]> => {
    const latest = new Map<string, TapeRecord>();
    for await (const batch of read({ exchanges: [exchange], streams, directions: ['in'], fromNs: beforeNs - PRIMER_LOOKBACK_NS, toNs: beforeNs })) {
      for (const r of batch) if ((r.kind === 'text' || r.kind === 'binary') && !(r.flags & FLAG_OVERLAP)) latest.set(r.stream, r);
    }
    return [...latest.values()].sort((a, b) => (a.recvNs < b.recvNs ? -1 : a.recvNs > b.recvNs ? 1 : 0));
  };

  /**
   * The latest `limit` recorded data frames of a stream before `beforeNs`, oldest first. Raw files
   * are in time order, so a narrow time window reads little: a minute is tried first, then wider
   * windows up to a day, until `limit` frames are found.
   */
  const latestFrames = async (exchange: ExchangeId, streamKey: string, limit: number, beforeNs: bigint): Promise<Uint8Array[]> => {
    if (!catalog[exchange].streams.has(streamKey) || limit <= 0) return [];
    const conn = await normalizedPool.acquire();
    try {
      let rows: Array<[DuckDBBlobValue]> = [];
      for (const back of RECORDED_LOOKBACK_NS) {
        const r = await conn.runAndReadAll(
          `SELECT payload FROM raw WHERE exchange = ${sqlStr(exchange)} AND stream = ${sqlStr(streamKey)} AND direction = 'in' AND kind = 'text'
           AND (flags & ${FLAG_OVERLAP}) = 0 AND recv_ns >= ${beforeNs - back} AND recv_ns < ${beforeNs}
           ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT ${Math.trunc(limit)}`,
        );
        rows = r.getRows() as Array<[DuckDBBlobValue]>;
        if (rows.length >= limit) break;
      }
      return rows.map(([b]) => b.bytes).reverse();
    } finally {
      normalizedPool.release(conn);
    }
  };

  /** The credentials `--auth strict` checks against: the exchange's demo set and the configured ones. */
  const credentialsOf = (exchange: ExchangeId) => [EXCHANGES[exchange].demoCredentials, ...(opts.credentials[exchange] ?? [])];

  // One context per connection: its "now" and its kline history follow the connection's replay clock.
  const randoms = new Map<ExchangeId, () => number>();
  /** `recordedNow`: the connection's replay time, or null before its clock exists. */
  const contextFor = (exchange: ExchangeId, recordedNow: () => bigint | null): ServerContext => {
    const c = catalog[exchange];
    let random = randoms.get(exchange);
    if (!random) randoms.set(exchange, (random = seeded(exchange.length * 7919)));
    /** The connection's replay time, or just after the recording when its clock has not started. */
    const replayNow = (): bigint => recordedNow() ?? (c.lastNs ?? 0n) + 1n;
    return {
      instruments: instrumentsOf(exchange),
      credentials: credentialsOf(exchange),
      authMode: opts.auth,
      acceptedUnchecked: (what) => log.info({ exchange, what }, 'login accepted without a check (replay --auth any)'),
      ...(desk ? {} : { noTradingReason: NO_TRADING_REASON }),
      // the replay's time, so that times a session writes (Coinstore lifeStartTime, pongs) match the frames
      nowMs: () => {
        const t = recordedNow();
        return t === null ? Date.now() : Number(t / 1_000_000n);
      },
      timing: {},
      klineHistory: (inst, intervalMs, endTimeMs, limit) => klines.query(inst, intervalMs, endTimeMs, limit, replayNow()),
      recordedFrames: (streamKey, limit) => latestFrames(exchange, streamKey, limit, replayNow()),
      random,
    };
  };

  const paperStartNs = opts.fromNs ?? globalFirst ?? 0n;
  const desk = opts.paper
    ? new PaperDesk({
        settings: opts.paper,
        outDir: opts.paperOut,
        dataDir: opts.dataDir,
        data: tapeMarketData(async (fn) => {
          const conn = await normalizedPool.acquire();
          try {
            return await fn(conn);
          } finally {
            normalizedPool.release(conn);
          }
        }),
        instruments: instrumentsOf,
        lastNs: (exchange) => catalog[exchange].lastNs,
        clockOf: (id) => openSession(id, paperStartNs, opts.speed).clock,
        run: { speed: opts.speed, fromNs: opts.fromNs, toNs: opts.toNs },
        log,
      })
    : null;
  if (desk) {
    try {
      await desk.prepare(EXCHANGE_IDS.filter((x) => catalog[x].streams.size > 0));
    } catch (err) {
      tape.close();
      throw err;
    }
  }
  /** A session a paper request trades on starts its clock when no connection of it will (a bot that only calls REST), and lives on. */
  const touchSession = (id: string) => {
    const s = openSession(id, paperStartNs, opts.speed);
    if (s.connections === 0 && s.open === 0 && !s.clock.started) s.clock.start();
    // a request keeps a session whose connections are gone alive for another sessionKeepMs
    if (s.expiry) release(s, true);
  };
  /**
   * A session nobody uses any more ends: at once when it is anonymous, after `sessionKeepMs` when
   * named (a bot that reconnects after a recorded disconnect continues where it was).
   */
  const release = (s: ReplaySessionInfo, named: boolean) => {
    if (s.connections > 0 || s.open > 0) return;
    if (s.expiry) clearTimeout(s.expiry);
    if (!named) endSession(s.id);
    else s.expiry = setTimeout(() => sessions.get(s.id) === s && s.connections === 0 && s.open === 0 && endSession(s.id), opts.sessionKeepMs).unref();
  };
  const endSession = (id: string) => {
    sessions.delete(id);
    void desk?.end(id).catch((err: unknown) => log.error({ session: id, err: String((err as Error)?.message ?? err) }, 'paper results could not be written'));
  };

  /** One connection: its context on its own replay clock, a cursor as its feed, and its share of a session. */
  const connection = ({ route, url }: ConnectionInfo): ConnectionHandlers => {
    const exchange = route.exchange;
    const c = catalog[exchange];
    let overrides;
    try {
      overrides = connectionOverrides(url, opts);
    } catch (err) {
      const reason = `bad replay parameter: ${(err as Error).message}`;
      return { context: contextFor(exchange, () => null), feed: refusingFeed(reason), onOpen: (conn) => conn.link.close(1008, reason.slice(0, 120)) };
    }
    // with paper trading, connections that name no session share the default one (one bot, one account)
    const sessionId = overrides.sessionId ?? (desk ? DEFAULT_PAPER_SESSION : `c${++anonymous}`);
    const named = overrides.sessionId !== null || desk !== null;
    const toNs = overrides.toNs;
    let joined: ReplaySessionInfo | null = null;
    // before the first subscription the connection stands at the start of its range
    const existing = named ? sessions.get(sessionId) : undefined;
    const startNs = existing?.clock.nowRecordedNs() ?? overrides.fromNs ?? (named ? globalFirst : c.firstNs) ?? 0n;
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
        // a named session may span exchanges: its clock starts at the earliest recording of all
        const s = openSession(sessionId, overrides.fromNs ?? (named ? globalFirst : c.firstNs) ?? 0n, overrides.speed);
        if (s.expiry) clearTimeout(s.expiry);
        s.expiry = null;
        s.connections++;
        joined = s;
        return s.clock;
      },
      timeline: (fromNs, shared) => {
        const source = () => counted(read({ exchanges: [exchange], directions: ['in', 'event'], fromNs, toNs: toNs ?? undefined }), stats);
        return shared ? timelines.shared(`${exchange}|${fromNs}|${toNs ?? ''}`, source) : timelines.own(source);
      },
      primers: (streams, beforeNs) => primers(exchange, streams, beforeNs),
      resume: (generation) => (named && joined ? joined.resume.forExchange(exchange, generation) : null),
      onEnd: () => log.info({ exchange, session: sessionId }, 'replay range ended'),
    });
    const context = contextFor(exchange, () => joined?.clock.nowRecordedNs() ?? startNs);
    // the first connection of a paper session creates it with its own range and speed (its account needs the clock now)
    if (desk) openSession(sessionId, overrides.fromNs ?? globalFirst ?? 0n, overrides.speed);
    if (desk) context.trading = desk.account(sessionId, exchange);
    // with paper trading every open connection holds its session (and so its account)
    const held = desk ? sessions.get(sessionId) ?? null : null;
    return {
      context,
      feed: desk ? desk.feed(sessionId, exchange, cursor) : cursor,
      onOpen: (conn) => {
        stats.sessionsOpened++;
        cursor.bind(conn.link, conn.session);
        if (held) {
          held.open++;
          if (held.expiry) clearTimeout(held.expiry);
          held.expiry = null;
        }
      },
      onClose: () => {
        const s = joined;
        joined = null;
        if (s) s.connections--;
        if (held) held.open--;
        for (const x of new Set([s, held])) if (x) release(x, named);
      },
    };
  };

  let host: ExchangeHost;
  try {
    host = await startHost({
      host: opts.host,
      port: opts.port,
      limits: {
        maxConnections: opts.maxConnections,
        maxSubscriptionsPerConnection: opts.maxSubscriptionsPerConnection,
        maxFrameBytes: opts.maxFrameBytes,
        maxBufferedBytes: opts.maxBufferedBytes,
      },
      tcpPorts: opts.mqttPort === null ? {} : { coinsuper: opts.mqttPort },
      tls: opts.tls,
      connection,
      logger: log,
      extraSockets: {
        '/normalized': (ws, url) => {
          serveNormalizedSocket(ws, url, normalizedPool).catch((err: unknown) => {
            log.warn({ err: String(err) }, 'normalized stream failed');
            ws.close(1011, 'query failed');
          });
        },
      },
      onRequest: async (req: http.IncomingMessage, res: http.ServerResponse) =>
        handleControl(req, res, { sessions, stats, catalog, guard: () => ({ port: host.port, listenHost: opts.host, token: opts.controlToken }),
          refused: (path, message, origin) => log.warn({ path, origin, reason: message }, 'control request refused'),
        }) ||
        (await handlePaperHttp(req, res, {
          desk,
          instruments: instrumentsOf,
          credentials: credentialsOf,
          authMode: opts.auth,
          acceptedUnchecked: (what) => log.info({ what }, 'login accepted without a check (replay --auth any)'),
          touch: touchSession,
        })) ||
        handleNormalized(req, res, normalizedPool),
    });
  } catch (err) {
    tape.close();
    throw err;
  }

  return {
    host,
    port: host.port,
    url: (exchange, endpoint) => host.url(exchange, endpoint),
    stats,
    sessions,
    catalog,
    paper: desk,
    async close() {
      for (const s of sessions.values()) if (s.expiry) clearTimeout(s.expiry);
      await host.close();
      await desk?.close();
      closing = true;
      for (const d of idle.splice(0)) d.close();
      tape.close();
    },
  };
}

/** Records read from the store, counted: with fan-out, clients of one range share one read. */
async function* counted(batches: AsyncIterable<TapeRecord[]>, stats: ReplayStats): AsyncGenerator<TapeRecord[]> {
  for await (const b of batches) {
    stats.recordsRead += b.length;
    yield b;
  }
}

/** The feed of a connection whose parameters were refused (it is closed with 1008 as soon as it opens). */
function refusingFeed(reason: string): SessionFeed {
  return {
    subscribe: () => ({ ok: false, reason, code: 'unknown' }),
    unsubscribe: () => undefined,
    close: () => undefined,
  };
}
