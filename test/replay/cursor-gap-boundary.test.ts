/**
 * A session-sequence gap record is written right after the frame that revealed it. When the reader's
 * batches split the two (the frame ends one batch, the gap opens the next), the cursor still hands
 * the skip to the session before that frame, whatever the batch size.
 */
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../replay/timeline.js';
import { FLAG_OVERLAP, FLAG_SYNTHETIC, type TapeRecord } from '../../schemas/record.js';
import type { FeedItem, StreamSpec } from '../../exchanges/types.js';
import { maxSpeedCursor } from './fixture.js';

const STREAM = 'btcusdt@trade';
const T0 = 1_800_000_000_000_000_000n;

function frame(connId: string, seq: number, ns: bigint, text: string, flags = 0): TapeRecord {
  return { exchange: 'coinstore', connId, seq, recvNs: ns, direction: 'in', kind: 'text', stream: STREAM, endpoint: 'wss://x', payload: Buffer.from(text), flags };
}

function gap(connId: string, seq: number, ns: bigint, lost: number): TapeRecord {
  const body = { stream: '', start_ns: String(ns), end_ns: String(ns), cause: 'sequence', lost_frames: lost };
  return { exchange: 'coinstore', connId, seq, recvNs: ns, direction: 'event', kind: 'gap', stream: '', endpoint: 'wss://x', payload: Buffer.from(JSON.stringify(body)), flags: FLAG_SYNTHETIC };
}

/** Frames f1..f6 of one connection; the exchange skipped 3 numbers before f3 and 2 before f6. */
function recording(): TapeRecord[] {
  const r: TapeRecord[] = [];
  let seq = 0;
  const add = (rec: (s: number) => TapeRecord) => r.push(rec(++seq));
  add((s) => frame('c1', s, T0 + 1n, 'f1'));
  add((s) => frame('c1', s, T0 + 2n, 'f2'));
  add((s) => frame('c1', s, T0 + 3n, 'f3'));
  add((s) => gap('c1', s, T0 + 3n, 3));
  add((s) => frame('c1', s, T0 + 4n, 'f4'));
  add((s) => frame('c1', s, T0 + 5n, 'f5'));
  add((s) => frame('c1', s, T0 + 6n, 'f6'));
  add((s) => gap('c1', s, T0 + 6n, 2));
  return r;
}

async function replayInBatches(size: number, recs: TapeRecord[] = recording()): Promise<string[]> {
  const batches: TapeRecord[][] = [];
  for (let i = 0; i < recs.length; i += size) batches.push(recs.slice(i, i + size));
  const events: string[] = [];
  const {
    cursor,
    link,
    ended: done,
  } = maxSpeedCursor(
    new Map([[STREAM, { firstNs: T0 + 1n, lastNs: T0 + 6n, frames: 6 }]]),
    T0,
    () =>
      new Timeline(async function* () {
        for (const b of batches) {
          await new Promise((r) => setImmediate(r)); // each batch arrives on a later turn, as from the database
          yield b;
        }
      }, 4),
  );
  const session = {
    onMessage() {},
    onClose() {},
    deliver: (_s: unknown, item: FeedItem) => events.push(Buffer.from((item as { payload: Uint8Array }).payload).toString('utf8')),
    onGap: (_s: unknown, lost: number) => events.push(`skip ${lost}`),
  };
  cursor.bind(link, session);
  cursor.subscribe({ key: STREAM, kind: 'trade', symbol: 'BTCUSDT', endpoint: 'ws', private: false } as StreamSpec, (item) => session.deliver(null, item));
  await done;
  cursor.close();
  return events;
}

describe('a sequence gap split from its frame by a batch boundary', () => {
  const expected = ['f1', 'f2', 'skip 3', 'f3', 'f4', 'f5', 'skip 2', 'f6'];
  for (const size of [1, 2, 3, 4, 8]) {
    it(`batches of ${size}: each skip goes out right before the frame that revealed it`, async () => {
      expect(await replayInBatches(size)).toEqual(expected);
    });
  }
});

describe("a sequence gap on a rotation's overlapping connection", () => {
  it('is no skip: its frames are not replayed (their data went out from the other connection)', async () => {
    // c1 hands over to c2; c1's late frames are overlaps, and c1's S skipped before one of them
    const recs: TapeRecord[] = [
      frame('c1', 1, T0 + 1n, 'a1'),
      frame('c2', 1, T0 + 2n, 'b1'),
      frame('c1', 2, T0 + 3n, 'a2', FLAG_OVERLAP),
      gap('c1', 3, T0 + 3n, 4),
      frame('c2', 2, T0 + 4n, 'b2'),
      frame('c2', 3, T0 + 5n, 'b3'),
      gap('c2', 4, T0 + 5n, 1),
    ];
    for (const size of [1, 3, 8]) expect(await replayInBatches(size, recs)).toEqual(['a1', 'b1', 'b2', 'skip 1', 'b3']);
  });
});
