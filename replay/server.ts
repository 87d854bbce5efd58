/**
 * The replay server: recorded data served back over each exchange's native protocol, on the same
 * paths as the simulator (and Coinsuper's MQTT on a TCP port), so a client switches between
 * simulator, replay and exchange by its base URL alone. Also serves the control API, paper trading
 * and the normalized stream on the same port. This file wires the parts:
 *
 *   catalog.ts, history.ts     what the data folder holds, read once at start (from a bucket:
 *                              the raw files' summaries, and each day's candles as it arrives)
 *   served-days.ts             a bucket's days fetched as connections reach them, dropped after
 *   read-pool.ts               reads of the store on pooled DuckDB sessions
 *   primers.ts                 each stream's latest state before a replay time
 *   recorded-frames.ts         request answers built from recorded frames (Coinstore param.size)
 *   context.ts                 a connection's ServerContext on its replay clock
 *   sessions.ts                shared clocks by ?session=, kept a while after their last connection
 *   connection.ts              the host's per-connection contract: context, cursor, session share
 *   cursor.ts, timeline.ts     what a connection is sent, and the shared reads behind it
 *   control.ts, normalized.ts, paper/   the control API, /normalized, paper trading
 */
import { type ListenWho, portListener } from '../core/listen.js';
import type http from 'node:http';
import { silentLogger, type Logger } from '../core/log.js';
import { startHost, type ExchangeHost } from '../exchanges/host.js';
import type { Instrument } from '../exchanges/market.js';
import { EXCHANGES } from '../exchanges/registry.js';
import { EXCHANGE_IDS, type ExchangeId } from '../exchanges/types.js';
import { openTape } from '../store/duck/index.js';
import { instrumentsFromStreamKeys, readCatalog, type Catalog } from './catalog.js';
import { replayConnections } from './connection.js';
import { replayContexts } from './context.js';
import { handleControl } from './control.js';
import { emptyKlineHistory, loadKlineHistory, type KlineHistory } from './history.js';
import { handleNormalized, NormalizedPool, serveNormalizedSocket } from './normalized.js';
import { REPLAY_DEFAULTS, type ReplayOptions } from './options.js';
import { PaperDesk } from './paper/desk.js';
import { handlePaperHttp } from './paper/http.js';
import { DEFAULT_FEES } from './paper/config.js';
import { serveCoinstorePublicRest } from '../exchanges/coinstore/public-http.js';
import { tapeMarketData } from './paper/market-data.js';
import { readPrimers } from './primers.js';
import { ReadPool } from './read-pool.js';
import { latestRecordedFrames } from './recorded-frames.js';
import type { ServedData } from './served-days.js';
import { ReplaySessions, type ReplaySessionInfo } from './sessions.js';
import { ReplayStats } from './stats.js';
import { TimelineRegistry } from './timeline.js';

export type { ReplaySessionInfo } from './sessions.js';

/** What an order sent to a replay without paper trading is refused with (Coinceres biz_type 11/12). */
const NO_TRADING_REASON = 'the replay does not trade: orders are refused unless it runs with paper trading (ticktape replay --paper)';

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

/** What listen errors name: the CLI's flags by default, the library's option names from startReplayServer. */
interface ReplayListenNames {
  listenAs?: ListenWho;
  tcpListenAs?: ListenWho;
}

/** Where the server reads: a local data folder, or a bucket served day by day (served-days.ts). */
type ServedSource = { dataDir: string; served?: undefined } | { dataDir?: undefined; served: ServedData };

export async function startReplay(partial: Partial<Omit<ReplayOptions, 'dataDir'>> & ServedSource & ReplayListenNames, log: Logger = silentLogger): Promise<ReplayServer> {
  const opts: ReplayOptions = { ...REPLAY_DEFAULTS, ...partial, dataDir: partial.dataDir ?? partial.served.url };
  const served = partial.served;
  let catalog: Catalog;
  let klines: Map<ExchangeId, KlineHistory>;
  let normalizedPool: NormalizedPool;
  let reads: ReadPool;
  let closeTape: () => void;
  if (served) {
    // From a bucket: the catalog from the raw files' summaries, each day's candles as it arrives,
    // the days /normalized, recorded-frame answers and paper market data read when one is asked for.
    catalog = served.catalog;
    const history = emptyKlineHistory();
    klines = history;
    const candleDays = async (_date: string, dir: string) => {
      const t = await openTape(dir, { includeJournal: false, threads: 1 });
      try {
        await loadKlineHistory(t.conn, catalog, history);
      } finally {
        t.close();
      }
    };
    if ([...history.keys()].some((x) => catalog[x].streams.size > 0)) served.days.onFirstLink = candleDays;
    // SQL reads (/normalized, recorded-frame answers, paper market data) fetch the days they need as they come.
    normalizedPool = new NormalizedPool((need) => served.tables.tape(need));
    reads = new ReadPool(served.days);
    closeTape = () => served.tables.close();
    // Serving starts once the first day of the range is in the cache (the later ones download behind it).
    const first = served.days.datesIn(opts.fromNs ?? undefined, opts.toNs ?? undefined)[0];
    if (first) {
      await served.days.acquire(first);
      served.days.release(first);
    }
  } else {
    // The tape stays open: its views serve /normalized, recorded-frame answers and paper market data
    // for the server's lifetime (like the catalog, it sees the data as it was at start).
    const tape = await openTape(opts.dataDir);
    try {
      catalog = await readCatalog(tape.conn);
      klines = await loadKlineHistory(tape.conn, catalog);
    } catch (err) {
      tape.close();
      throw err;
    }
    normalizedPool = new NormalizedPool(tape);
    reads = new ReadPool(opts.dataDir);
    closeTape = () => tape.close();
  }
  const stats = new ReplayStats();
  const globalFirst = Object.values(catalog).reduce<bigint | null>((m, c) => (c.firstNs !== null && (m === null || c.firstNs < m) ? c.firstNs : m), null);

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

  /** The credentials `--auth strict` checks against: the exchange's demo set and the configured ones. */
  const credentialsOf = (exchange: ExchangeId) => [EXCHANGES[exchange].demoCredentials, ...(opts.credentials[exchange] ?? [])];

  let desk: PaperDesk | null = null;
  const sessions = new ReplaySessions(opts.sessionKeepMs, (id) => {
    void desk?.end(id).catch((err: unknown) => log.error({ session: id, err: String((err as Error)?.message ?? err) }, 'paper results could not be written'));
  });
  const paperStartNs = opts.fromNs ?? globalFirst ?? 0n;
  if (opts.paper) {
    desk = new PaperDesk({
      settings: opts.paper,
      outDir: opts.paperOut,
      dataDir: opts.dataDir,
      // Over a bucket the directory of markets comes from the files' summaries, and each read
      // fetches the days it reads: the days the session's clock has reached.
      data: tapeMarketData(
        async (need, fn) => {
          const conn = await normalizedPool.acquire(need);
          try {
            return await fn(conn);
          } finally {
            normalizedPool.release(conn);
          }
        },
        served ? (exchange) => served.tables.markets(exchange) : undefined,
      ),
      instruments: instrumentsOf,
      lastNs: (exchange) => catalog[exchange].lastNs,
      clockOf: (id) => sessions.open(id, paperStartNs, opts.speed).clock,
      run: { speed: opts.speed, fromNs: opts.fromNs, toNs: opts.toNs },
      log,
    });
    try {
      await desk.prepare(EXCHANGE_IDS.filter((x) => catalog[x].streams.size > 0));
    } catch (err) {
      closeTape();
      throw err;
    }
  }

  const connection = replayConnections({
    opts,
    catalog,
    sessions,
    stats,
    timelines: new TimelineRegistry(opts.readAheadBatches),
    reads,
    context: replayContexts({
      catalog,
      klines,
      instruments: instrumentsOf,
      credentials: credentialsOf,
      auth: opts.auth,
      acceptedUnchecked: (exchange, what) => log.info({ exchange, what }, 'login accepted without a check (replay --auth any)'),
      noTradingReason: desk ? null : NO_TRADING_REASON,
      recordedFrames: (ex, key, limit, beforeNs) => latestRecordedFrames(normalizedPool, catalog, ex, key, limit, beforeNs),
    }),
    primers: (ex, streams, beforeNs) => readPrimers(reads, ex, streams, beforeNs),
    desk,
    globalFirst,
    log,
  });

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
      listenAs: partial.listenAs ?? portListener('the replay server', 'port', 'flag'),
      tcpListenAs: partial.tcpListenAs ?? portListener("the replay's Coinsuper MQTT listener", 'mqttPort', 'flag', true),
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
        handleControl(req, res, {
          sessions: sessions.byId,
          stats,
          catalog,
          guard: () => ({ port: host.port, listenHost: opts.host, token: opts.controlToken }),
          refused: (path, message, origin) => log.warn({ path, origin, reason: message }, 'control request refused'),
        }) ||
        (await serveCoinstorePublicRest(req, res, instrumentsOf('coinstore'), desk?.fees('coinstore') ?? DEFAULT_FEES.coinstore)) ||
        (await handlePaperHttp(req, res, {
          desk,
          instruments: instrumentsOf,
          credentials: credentialsOf,
          authMode: opts.auth,
          acceptedUnchecked: (what) => log.info({ what }, 'login accepted without a check (replay --auth any)'),
          touch: (id) => sessions.touch(id, paperStartNs, opts.speed),
        })) ||
        handleNormalized(req, res, normalizedPool),
    });
  } catch (err) {
    closeTape();
    throw err;
  }

  return {
    host,
    port: host.port,
    url: (exchange, endpoint) => host.url(exchange, endpoint),
    stats,
    sessions: sessions.byId,
    catalog,
    paper: desk,
    async close() {
      sessions.close();
      await host.close();
      await desk?.close();
      reads.close();
      closeTape();
    },
  };
}
