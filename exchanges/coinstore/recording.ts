/**
 * What the replay reads out of recorded Coinstore frames (`ExchangeModule.recording`). Pure.
 *
 *  - instruments: every market push carries `symbol` and `instrumentId` (protocols.md §1.6; a
 *    batch or `!@ticker` array carries them per element), which gives the id ↔ name mapping a
 *    client subscribing `4@trade` is served with from a recorded `btcusdt@trade`, and the other
 *    way round;
 *  - candles: the recorded k-line pushes answer REQ (history k-lines) as of the replay time.
 */
import type { RecordedCandle, RecordedInstrument, RecordingReader } from '../types.js';
import { KLINE_INTERVAL_ALIASES } from './protocol.js';
import { inferType } from './read-frame.js';

type Msg = Record<string, unknown>;

function parse(payload: Uint8Array): Msg | null {
  try {
    const m: unknown = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
    return m && typeof m === 'object' && !Array.isArray(m) ? (m as Msg) : null;
  } catch {
    return null;
  }
}

const isMsg = (v: unknown): v is Msg => !!v && typeof v === 'object' && !Array.isArray(v);

/** `instrumentId` as a number: the pushes send a number, the echo a string. */
function idOf(v: unknown): number | null {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The instruments of one recorded frame: the push itself, or each element of its `data` array. Account pushes name none. */
function instrumentsInFrame(payload: Uint8Array): RecordedInstrument[] {
  const m = parse(payload);
  if (!m) return [];
  const items = Array.isArray(m.data) ? m.data.filter(isMsg) : [m];
  const out: RecordedInstrument[] = [];
  for (const it of items) {
    if (typeof it.symbol !== 'string' || it.symbol === '' || it.T === 'order') continue;
    out.push({ symbol: it.symbol, id: idOf(it.instrumentId) });
  }
  return out;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '0');
const int = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : 0);

/** The candle of a recorded k-line push (either interval spelling, `min_1` or `1m`); null for anything else. */
function candleInFrame(payload: Uint8Array): RecordedCandle | null {
  const m = parse(payload);
  if (!m || (m.T ?? inferType(m)) !== 'kline') return null;
  const intervalMs = typeof m.interval === 'string' ? KLINE_INTERVAL_ALIASES[m.interval] : undefined;
  if (typeof m.symbol !== 'string' || !intervalMs || typeof m.startTime !== 'number') return null;
  return {
    symbol: m.symbol,
    intervalMs,
    // startTime is seconds (protocols.md §1.6)
    openTsMs: m.startTime * 1000,
    open: text(m.open),
    high: text(m.high),
    low: text(m.low),
    close: text(m.close),
    volume: text(m.volume),
    quoteVolume: text(m.amount),
    firstTradeId: int(m.firstTradeId),
    lastTradeId: int(m.lastTradeId),
  };
}

export const recording: RecordingReader = {
  instruments: instrumentsInFrame,
  candles: {
    isCandleStream: (key) => key.includes('@kline@'),
    read: candleInFrame,
  },
};
