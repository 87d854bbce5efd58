/**
 * K-way merge of record streams already in (recv_ns, conn_id, seq) order into one stream in that
 * order. Inputs are few (one per chain of sealed files, plus the sorted rest), so the smallest head
 * is found by a linear scan; records are handed out as slices of the input batches (a run of one
 * input up to the next input's head), so an input that does not overlap the others passes its
 * batches through untouched.
 */
/** What the merge orders by: a raw record, or a normalized message (which carries its frame's keys). */
export interface Ordered {
  recvNs: bigint;
  connId: string;
  seq: number;
}

/** Compares two records by (recv_ns, conn_id, seq), the reader's order. */
export function compareRecords(a: Ordered, b: Ordered): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

interface Cursor<T> {
  it: AsyncIterator<T[]>;
  batch: T[];
  i: number;
}

/** The next non-empty batch of an input, or null at its end. */
async function nextBatch<T>(it: AsyncIterator<T[]>): Promise<T[] | null> {
  for (;;) {
    const r = await it.next();
    if (r.done) return null;
    if (r.value.length) return r.value;
  }
}

export async function* mergeOrdered<T extends Ordered>(inputs: readonly AsyncIterator<T[]>[]): AsyncGenerator<T[]> {
  try {
    const cursors: Cursor<T>[] = [];
    const firsts = await Promise.all(inputs.map((it) => nextBatch(it)));
    firsts.forEach((batch, k) => {
      if (batch) cursors.push({ it: inputs[k], batch, i: 0 });
    });
    while (cursors.length > 0) {
      if (cursors.length === 1) {
        const c = cursors[0];
        yield c.i === 0 ? c.batch : c.batch.slice(c.i);
        for (let b = await nextBatch(c.it); b; b = await nextBatch(c.it)) yield b;
        return;
      }
      // The input with the smallest head, and the smallest head among the others (the bound).
      let m = 0;
      for (let k = 1; k < cursors.length; k++) if (compareRecords(cursors[k].batch[cursors[k].i], cursors[m].batch[cursors[m].i]) < 0) m = k;
      let bound: T | null = null;
      for (let k = 0; k < cursors.length; k++) {
        if (k === m) continue;
        const h = cursors[k].batch[cursors[k].i];
        if (bound === null || compareRecords(h, bound) < 0) bound = h;
      }
      const c = cursors[m];
      const { batch } = c;
      let j: number;
      if (compareRecords(batch[batch.length - 1], bound!) <= 0) {
        j = batch.length;
      } else {
        // Binary search: the first record after the bound (the head itself is not after it).
        let lo = c.i + 1;
        let hi = batch.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareRecords(batch[mid], bound!) <= 0) lo = mid + 1;
          else hi = mid;
        }
        j = lo;
      }
      yield c.i === 0 && j === batch.length ? batch : batch.slice(c.i, j);
      c.i = j;
      if (c.i === batch.length) {
        const b = await nextBatch(c.it);
        if (b) {
          c.batch = b;
          c.i = 0;
        } else cursors.splice(m, 1);
      }
    }
  } finally {
    // Stopped early or failed: let every input finish its in-flight query and release it.
    await Promise.all(inputs.map((it) => (it.return ? it.return(undefined) : undefined)?.catch?.(() => undefined)));
  }
}
