/**
 * Times on the Coinceres wire.
 *
 * Market pushes carry `time` as a string of milliseconds since the epoch. The trading socket's
 * `entrust_time` and `dealt_time` are `YYYY-MM-DD HH:mm:ss` wall-clock strings without a zone; the
 * documents do not say which. ASSUMPTION: China Standard Time (UTC+8, no daylight saving): the
 * exchange, its documents and its servers are Chinese, and the server formats times with the host's
 * default zone. A fixed offset (not a zone database) keeps parsing pure and reversible. If this turns
 * out wrong, every affected row is off by exactly 8 h and the raw strings stay in the raw table.
 */
const EXCHANGE_UTC_OFFSET_MS = 8 * 3_600_000;

/** `"1550114101032"` → 1550114101032; null when absent or not an integer. */
export function parseMsString(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return null;
  return Number(value);
}

/** `"2018-12-11 15:32:43"` (UTC+8) → ms since the epoch; null when it does not parse. */
export function parseWallTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  return Date.UTC(y, mo - 1, d, h, mi, s) - EXCHANGE_UTC_OFFSET_MS;
}

/** ms since the epoch → `"2018-12-11 15:32:43"` in UTC+8 (the server side's formatter). */
export function formatWallTime(ms: number): string {
  const t = new Date(Math.floor(ms / 1000) * 1000 + EXCHANGE_UTC_OFFSET_MS).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 19)}`;
}
