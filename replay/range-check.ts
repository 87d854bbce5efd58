/**
 * `--from`/`--to` against what the recording holds, checked when the replay starts: a range with no
 * recorded frame at all is refused (every client would get an immediate close 1000), one that
 * reaches past the recording is warned about.
 */
import { TicktapeError } from '../core/errors.js';
import { optionName, type OptionNaming } from '../core/parse-options.js';
import type { Catalog } from './catalog.js';

function iso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** Throws TT_NO_DATA when [from, to) holds no recorded frame; returns warnings for a range partly outside. */
export function checkReplayRange(catalog: Catalog, fromNs: bigint | null, toNs: bigint | null, naming: OptionNaming = 'option'): string[] {
  const spans = Object.entries(catalog).filter(([, c]) => c.firstNs !== null && c.lastNs !== null) as Array<[string, { firstNs: bigint; lastNs: bigint }]>;
  if (spans.length === 0 || (fromNs === null && toNs === null)) return [];
  const first = spans.reduce((m, [, c]) => (c.firstNs < m ? c.firstNs : m), spans[0][1].firstNs);
  const last = spans.reduce((m, [, c]) => (c.lastNs > m ? c.lastNs : m), spans[0][1].lastNs);
  const from = optionName('from', naming);
  const to = optionName('to', naming);
  const holds = `the recording runs from ${iso(first)} to ${iso(last)} (${spans.map(([ex, c]) => `${ex} ${iso(c.firstNs)} – ${iso(c.lastNs)}`).join('; ')})`;
  const inside = spans.some(([, c]) => (fromNs === null || c.lastNs >= fromNs) && (toNs === null || c.firstNs < toNs));
  if (!inside) {
    const what = [fromNs !== null ? `${from} ${iso(fromNs)}` : null, toNs !== null ? `${to} ${iso(toNs)}` : null].filter(Boolean).join(' ');
    throw new TicktapeError('TT_NO_DATA', `No recorded frame in the range ${what}: ${holds}. Pick times inside it, or leave ${from}/${to} out to replay everything.`, {
      fromNs: fromNs?.toString(),
      toNs: toNs?.toString(),
    });
  }
  const warnings: string[] = [];
  if (fromNs !== null && fromNs < first) warnings.push(`${from} ${iso(fromNs)} is before the recording starts (${iso(first)}): clients wait in silence until then at paced speeds`);
  if (toNs !== null && toNs > last + 1n) warnings.push(`${to} ${iso(toNs)} is after the recording ends (${iso(last)}): the range ends there`);
  return warnings;
}

/** Why a connection's own `?from=&to=` selects nothing of its exchange's recording, or null. */
export function connectionRangeProblem(c: { firstNs: bigint | null; lastNs: bigint | null }, fromNs: bigint | null, toNs: bigint | null): string | null {
  if (c.firstNs === null || c.lastNs === null) return null;
  if ((fromNs !== null && fromNs > c.lastNs) || (toNs !== null && toNs <= c.firstNs)) {
    // at most 123 bytes go into a close reason: this fits with the "bad replay parameter: " prefix
    return `nothing recorded in this range (recorded ${iso(c.firstNs)} to ${iso(c.lastNs)})`;
  }
  return null;
}
