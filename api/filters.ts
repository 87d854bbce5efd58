/**
 * The filters every reading function of the API shares, checked once: exchange names against the
 * registry (TT_UNKNOWN_EXCHANGE, with the valid ones), times of any TimeInput form, a range that
 * does not end before it starts (TT_BAD_TIME).
 */
import { TicktapeError } from '../core/errors.js';
import { timeRangeNs, type TimeInput } from '../core/time-arg.js';
import { EXCHANGE_IDS, type ExchangeId } from '../exchanges/types.js';

export interface TimeRange {
  /** Inclusive start: a Date, an ISO 8601 string, epoch ms (number) or ns (bigint). */
  from?: TimeInput;
  /** Exclusive end, in the same forms. */
  to?: TimeInput;
}

/** Exchange ids as given, lower-cased and checked; undefined for "every exchange". */
export function exchangeFilter(exchanges: readonly string[] | undefined): ExchangeId[] | undefined {
  if (!exchanges?.length) return undefined;
  return exchanges.map((e) => {
    const id = String(e).trim().toLowerCase();
    if (!(EXCHANGE_IDS as readonly string[]).includes(id)) {
      throw new TicktapeError('TT_UNKNOWN_EXCHANGE', `Unknown exchange "${e}": use one of ${EXCHANGE_IDS.join(', ')}.`, { exchange: e });
    }
    return id as ExchangeId;
  });
}

/** The range in ns (see core/time-arg.ts). */
export function rangeFilter(r: TimeRange): { fromNs?: bigint; toNs?: bigint } {
  return timeRangeNs(r.from, r.to);
}

/** A list option that must be an array of strings when given (a bare string is a common slip). */
export function stringList(name: string, v: readonly string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new TicktapeError('TT_CONFIG_INVALID', `${name} must be an array of strings, e.g. ${name}: ['${typeof v === 'string' ? v : 'x'}'].`, { field: name });
  }
  return v.length ? [...v] : undefined;
}
