/** mergeRuns: records in a few ascending runs (a normalized window scanned symbol by symbol) put back in replay order. */
import { describe, expect, it } from 'vitest';
import { compareRecords } from '../../../store/reader/merge.js';
import { mergeRuns, runStarts } from '../../../store/reader/merge-runs.js';

interface Rec {
  recvNs: bigint;
  connId: string;
  seq: number;
  tag: number;
}

function runsOf(count: number, len: number, seed: number): Rec[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) % 1000) / 1000;
  const out: Rec[] = [];
  let tag = 0;
  for (let r = 0; r < count; r++) {
    let t = 1_000n;
    for (let i = 0; i < len; i++) {
      t += BigInt(Math.floor(rnd() * 3)); // repeats: equal recv_ns across runs
      out.push({ recvNs: t, connId: `c${r % 2}`, seq: i, tag: tag++ });
    }
  }
  return out;
}

describe('mergeRuns', () => {
  it('returns the same array when it is already in order', () => {
    const one = runsOf(1, 50, 1);
    expect(runStarts(one)).toEqual([0, 50]);
    expect(mergeRuns(one)).toBe(one);
    expect(mergeRuns([])).toEqual([]);
  });

  for (const runs of [2, 3, 4, 7, 16]) {
    it(`orders ${runs} interleaved runs like a stable sort`, () => {
      const items = runsOf(runs, 41, runs);
      const expected = [...items].sort((a, b) => compareRecords(a, b) || a.tag - b.tag);
      const got = mergeRuns([...items]);
      expect(got.map((r) => r.tag)).toEqual(expected.map((r) => r.tag));
    });
  }
});
