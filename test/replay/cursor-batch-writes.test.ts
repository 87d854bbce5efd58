/**
 * At max speed a cursor sends in corked batches, one socket write each. A session that numbers its
 * messages (Coinstore's S) needs a look at the record after each frame (a sequence gap there is
 * skipped before the frame), so the last frame of a read batch waits for the next batch. It then
 * goes out with that batch's frames in one write, not in a write of its own: one write per read
 * batch, as for a session without the look ahead.
 */
import { expect, it } from 'vitest';
import { Timeline } from '../../replay/timeline.js';
import type { TapeRecord } from '../../schemas/record.js';
import type { FeedItem, SessionLink, StreamSpec } from '../../exchanges/types.js';
import { maxSpeedCursor } from './fixture.js';

const STREAM = 'btcusdt@trade';
const T0 = 1_800_000_000_000_000_000n;
const BATCH = 50;
const BATCHES = 8;

function frame(i: number): TapeRecord {
  return { exchange: 'coinstore', connId: 'c1', seq: i + 1, recvNs: T0 + BigInt(i), direction: 'in', kind: 'text', stream: STREAM, endpoint: 'wss://x', payload: Buffer.from(`f${i}`), flags: 0 };
}

/** Frames per corked batch (one socket write each on a real connection), in order. */
async function framesPerWrite(withGaps: boolean): Promise<number[]> {
  const recs = Array.from({ length: BATCH * BATCHES }, (_, i) => frame(i));
  const { cursor, link, ended } = maxSpeedCursor(
    new Map([[STREAM, { firstNs: T0, lastNs: T0 + BigInt(recs.length), frames: recs.length }]]),
    T0,
    () =>
      new Timeline(async function* () {
        for (let i = 0; i < recs.length; i += BATCH) {
          await new Promise((r) => setImmediate(r)); // each batch arrives on a later turn, as from the database
          yield recs.slice(i, i + BATCH);
        }
      }, 4),
  );
  const writes: number[] = [];
  let open: number | null = null;
  const corked: SessionLink = {
    ...link,
    cork(fn) {
      if (open !== null) return fn();
      open = 0;
      try {
        fn();
      } finally {
        if (open > 0) writes.push(open);
        open = null;
      }
    },
  };
  const sent: string[] = [];
  const session = {
    onMessage() {},
    onClose() {},
    deliver: (_s: unknown, item: FeedItem) => {
      sent.push(Buffer.from((item as { payload: Uint8Array }).payload).toString('utf8'));
      if (open !== null) open++;
      else writes.push(1);
    },
    ...(withGaps ? { onGap: () => undefined } : {}),
  };
  cursor.bind(corked, session);
  cursor.subscribe({ key: STREAM, kind: 'trade', symbol: 'BTCUSDT', endpoint: 'ws', private: false } as StreamSpec, (item) => session.deliver(null, item));
  await ended;
  cursor.close();
  expect(sent).toEqual(recs.map((r) => r.payload.toString('utf8')));
  return writes;
}

it('a session that numbers its messages gets one write per read batch, the last frame of each batch in the next write', async () => {
  const writes = await framesPerWrite(true);
  // every write but the range's last holds a whole batch's worth: the frame held back at a batch's
  // end leads the next write (the first write has one frame fewer, the last only the range's last frame)
  expect(writes.slice(0, -1).every((n) => n >= BATCH - 1)).toBe(true);
  expect(writes.length).toBeLessThanOrEqual(BATCHES + 1);
});

it('a session without the look ahead gets one write per read batch', async () => {
  const writes = await framesPerWrite(false);
  expect(writes.every((n) => n >= BATCH)).toBe(true);
  expect(writes.length).toBeLessThanOrEqual(BATCHES);
});
