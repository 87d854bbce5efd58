/**
 * The ServerContext of one replay connection: the recording's instruments, the exchange's demo
 * credentials (checked or accepted as `--auth` says), and a clock that is the connection's replay clock — so the times a session writes
 * (Coinstore's lifeStartTime, pongs), its kline history answers and its batches built from recorded
 * trades all stand at the connection's replay time, never later.
 */
import { seededRandom } from '../core/seeded-random.js';
import type { AuthMode, Credentials, ExchangeId, ServerContext } from '../exchanges/types.js';
import type { Instrument } from '../exchanges/market.js';
import type { Catalog } from './catalog.js';
import type { KlineHistory } from './history.js';

interface ContextSources {
  catalog: Catalog;
  /** The exchange's instruments (one list per exchange: contexts and paper accounts share the objects). */
  instruments(exchange: ExchangeId): Instrument[];
  /** Candle history per exchange (exchanges that record none have no entry). */
  klines: Map<ExchangeId, KlineHistory>;
  /** The credentials `--auth strict` checks against: the exchange's demo set and the configured ones. */
  credentials(exchange: ExchangeId): Credentials[];
  auth: AuthMode;
  /** Told of every login accepted without a check (`--auth any`). */
  acceptedUnchecked(exchange: ExchangeId, what: string): void;
  /** Why an order is refused when the replay does not trade (no paper trading), or null when it does. */
  noTradingReason: string | null;
  /** The latest recorded data frames of a stream before a replay time (recorded-frames.ts). */
  recordedFrames(exchange: ExchangeId, streamKey: string, limit: number, beforeNs: bigint): Promise<Uint8Array[]>;
}

/** Builds connection contexts; one seeded random source per exchange, shared by its connections. */
export function replayContexts(src: ContextSources): (exchange: ExchangeId, recordedNow: () => bigint | null) => ServerContext {
  const randoms = new Map<ExchangeId, () => number>();
  /** `recordedNow`: the connection's replay time, or null before its clock exists. */
  return (exchange, recordedNow) => {
    const c = src.catalog[exchange];
    let random = randoms.get(exchange);
    if (!random) randoms.set(exchange, (random = seededRandom(exchange.length * 7919)));
    /** The connection's replay time, or just after the recording when its clock has not started. */
    const replayNow = (): bigint => recordedNow() ?? (c.lastNs ?? 0n) + 1n;
    return {
      instruments: src.instruments(exchange),
      credentials: src.credentials(exchange),
      authMode: src.auth,
      acceptedUnchecked: (what) => src.acceptedUnchecked(exchange, what),
      ...(src.noTradingReason === null ? {} : { noTradingReason: src.noTradingReason }),
      nowMs: () => {
        const t = recordedNow();
        return t === null ? Date.now() : Number(t / 1_000_000n);
      },
      timing: {},
      klineHistory: (inst, intervalMs, endTimeMs, limit) => src.klines.get(exchange)?.query(inst, intervalMs, endTimeMs, limit, replayNow()) ?? null,
      klineIntervalsMs: (inst) => src.klines.get(exchange)?.intervalsMs(inst) ?? [],
      recordedFrames: (streamKey, limit) => src.recordedFrames(exchange, streamKey, limit, replayNow()),
      random,
    };
  };
}
