/**
 * Puts records that come as a few ascending runs back in (recv_ns, conn_id, seq) order: a natural
 * merge sort. The normalized tables are sorted by (exchange, symbol, recv_ns, ...), so a window of
 * recv_ns scanned in file order is one ascending run per symbol and file; merging those runs here
 * costs O(n log runs) comparisons, where an ORDER BY makes DuckDB sort every row of the window.
 * Pure.
 */
import { compareRecords, type Ordered } from './merge.js';

/** Where each ascending run of `items` starts, with items.length at the end. */
export function runStarts<T extends Ordered>(items: readonly T[]): number[] {
  const starts = [0];
  for (let i = 1; i < items.length; i++) if (compareRecords(items[i - 1], items[i]) > 0) starts.push(i);
  starts.push(items.length);
  return starts;
}

/** `items` in (recv_ns, conn_id, seq) order (stable: equal keys keep their order); `items` itself when already in order. */
export function mergeRuns<T extends Ordered>(items: T[]): T[] {
  let starts = runStarts(items);
  if (starts.length <= 2) return items;
  let src = items;
  let dst = new Array<T>(items.length);
  while (starts.length > 2) {
    const next = [0];
    for (let r = 0; r + 1 < starts.length; r += 2) {
      const a0 = starts[r];
      const a1 = starts[r + 1];
      const b1 = r + 2 < starts.length ? starts[r + 2] : a1;
      let i = a0;
      let j = a1;
      let o = a0;
      while (i < a1 && j < b1) dst[o++] = compareRecords(src[j], src[i]) < 0 ? src[j++] : src[i++];
      while (i < a1) dst[o++] = src[i++];
      while (j < b1) dst[o++] = src[j++];
      next.push(b1);
    }
    if (next[next.length - 1] !== items.length) next.push(items.length);
    starts = next;
    const t = src;
    src = dst;
    dst = t === items ? new Array<T>(items.length) : t;
  }
  return src;
}
