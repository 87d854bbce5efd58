/**
 * The normalizers of a seal run (or of a query session over unsealed journals): one per
 * (exchange, stream), created from the exchange module and fed the stream's incoming frames in
 * receive order, across connections: a reconnect or a make-before-break rotation repeats data the
 * stream already had (Coinsuper's trade windows repeat up to 50 earlier trades on every new
 * connection), and only a per-stream state can tell. Their state is carried between runs by the caller.
 *
 * A missing or failing normalizer never loses raw data: the frame stays in `raw`, the failure is
 * counted and the first messages are kept for the report.
 */
import { EXCHANGES } from '../../exchanges/registry.js';
import type { ExchangeId, Normalizer } from '../../exchanges/types.js';
import { FLAG_OVERLAP, type TapeRecord } from '../../schemas/record.js';
import type { NormalizedRow } from '../../schemas/rows.js';

/** How many distinct failure messages a report keeps (the count is always exact). */
const MAX_REPORTED_NORMALIZE_ERRORS = 20;

interface NormalizerStateEntry {
  exchange: string;
  connId: string;
  stream: string;
  state: unknown;
}

/** JSON-serializable states keyed by `<exchange> <stream>`. */
export type NormalizerStates = Record<string, NormalizerStateEntry>;

export interface NormalizeIssues {
  failedFrames: number;
  missingExchanges: string[];
  messages: string[];
}

function keyOf(exchange: string, stream: string): string {
  return `${exchange} ${stream}`;
}

export class NormalizerSet {
  private readonly live = new Map<string, { entry: NormalizerStateEntry; normalizer: Normalizer }>();
  private readonly initial: NormalizerStates;
  private readonly missing = new Set<string>();
  private failed = 0;
  private readonly messages: string[] = [];

  constructor(initial: NormalizerStates = {}) {
    this.initial = { ...initial };
  }

  /** Rows of one record; [] for records that are not incoming frames or that fail to normalize. */
  normalize(rec: TapeRecord): NormalizedRow[] {
    if (rec.direction === 'event') return [];
    // Overlap frames of a rotated-out connection duplicate the new connection's data.
    if (rec.direction !== 'in' || (rec.flags & FLAG_OVERLAP) !== 0) return [];
    const n = this.normalizerFor(rec);
    if (!n) return [];
    try {
      const rows = n.normalize({ payload: rec.payload, kind: rec.kind, stream: rec.stream, endpoint: rec.endpoint, recvNs: rec.recvNs });
      return Array.isArray(rows) ? rows.filter((r) => r !== null && typeof r === 'object') : [];
    } catch (err) {
      this.failed++;
      const msg = `${rec.exchange} ${rec.connId}#${rec.seq}: ${(err as Error)?.message ?? String(err)}`;
      if (this.messages.length < MAX_REPORTED_NORMALIZE_ERRORS) this.messages.push(msg);
      return [];
    }
  }

  private normalizerFor(rec: TapeRecord): Normalizer | null {
    const key = keyOf(rec.exchange, rec.stream);
    const have = this.live.get(key);
    if (have) return have.normalizer;
    const mod = (EXCHANGES as Record<string, (typeof EXCHANGES)[ExchangeId] | undefined>)[rec.exchange];
    if (!mod || typeof mod.createNormalizer !== 'function') {
      this.missing.add(rec.exchange);
      return null;
    }
    let normalizer: Normalizer;
    try {
      normalizer = mod.createNormalizer(this.initial[key]?.state);
    } catch (err) {
      this.failed++;
      if (this.messages.length < MAX_REPORTED_NORMALIZE_ERRORS) this.messages.push(`${rec.exchange}: createNormalizer failed: ${(err as Error)?.message}`);
      this.missing.add(rec.exchange);
      return null;
    }
    this.live.set(key, { entry: { exchange: rec.exchange, connId: rec.connId, stream: rec.stream, state: undefined }, normalizer });
    return normalizer;
  }

  /** States after everything seen so far (untouched initial states carried over). */
  states(): NormalizerStates {
    const out: NormalizerStates = { ...this.initial };
    for (const [k, { entry, normalizer }] of this.live) {
      let state: unknown;
      try {
        state = normalizer.state();
      } catch {
        state = undefined;
      }
      if (state === undefined || state === null) delete out[k];
      else out[k] = { ...entry, state };
    }
    return out;
  }

  issues(): NormalizeIssues {
    return { failedFrames: this.failed, missingExchanges: [...this.missing].sort(), messages: [...this.messages] };
  }
}
