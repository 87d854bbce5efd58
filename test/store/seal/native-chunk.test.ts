/**
 * A NativeChunk (the stager's data chunks, filled from JS column buffers) appends exactly the values
 * set: integers at the ends of the BIGINT range from numbers and bigints, NULLs in every column type
 * and none leaking into the next chunk, text columns that are constant within a chunk (one constant
 * vector) next to ones that are not, and the constant changing between chunks.
 */
import { BIGINT, BLOB, BOOLEAN, DATE, DOUBLE, INTEGER, VARCHAR } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDuckSession, type DuckSession } from '../../../store/duck/index.js';
import { NATIVE_CHUNK_ROWS, NativeChunk } from '../../../store/seal/native-chunk.js';

let session: DuckSession;
beforeAll(async () => {
  session = await openDuckSession();
});
afterAll(() => session.close());

type Row = [number | bigint | null, number | null, number | null, boolean | null, string | null, Uint8Array | null, number | null, string | null];

const BIG = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 32n, -(2n ** 32n) - 1n, 4294967295n];
const NUM = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32, -(2 ** 32) - 1, 2 ** 62, -(2 ** 62)];

it('appends every value as set, NULLs and constant text columns included, chunk after chunk', async () => {
  const conn = session.conn;
  await conn.run('CREATE TABLE nc (b BIGINT, i INTEGER, d DOUBLE, t BOOLEAN, s VARCHAR, x BLOB, dt DATE, c VARCHAR)');
  const appender = await conn.createAppender('nc');
  const chunk = new NativeChunk([BIGINT, INTEGER, DOUBLE, BOOLEAN, VARCHAR, BLOB, DATE, VARCHAR]);
  const expected: Row[] = [];
  const chunks: Row[][] = [
    // Every column with NULLs; `c` constant apart from a NULL.
    Array.from(
      { length: 100 },
      (_, k): Row => (k % 7 === 3 ? [null, null, null, null, null, null, null, k === 3 ? null : 'same'] : [NUM[k % NUM.length], -k | 0, k / 8, k % 2 === 0, `text ${k} ${'é'.repeat(k % 5)}`, Uint8Array.from([k, 0, 255]), 20_000 + k, 'same']),
    ),
    // No NULLs at all: none of the first chunk's may show; `s` and `c` constant; a full chunk.
    Array.from({ length: NATIVE_CHUNK_ROWS }, (_, k): Row => [BIG[k % BIG.length], 2147483647 - k, -k - 0.5, k % 3 === 0, 'a string longer than twelve bytes', new Uint8Array(0), -k | 0, 'constant one']),
    // Another constant in `c`, and `s` constant again with another value.
    Array.from({ length: 5 }, (_, k): Row => [k, k, k, true, 'short', null, k, 'constant two']),
  ];
  for (const rows of chunks) {
    rows.forEach((r, i) => {
      chunk.setBigInt(0, i, r[0]);
      chunk.setInt(1, i, r[1]);
      chunk.setDouble(2, i, r[2]);
      chunk.setBool(3, i, r[3]);
      chunk.setText(4, i, r[4]);
      chunk.setBlob(5, i, r[5]);
      chunk.setInt(6, i, r[6]);
      chunk.setText(7, i, r[7]);
    });
    appender.appendDataChunk(chunk.finish(rows.length));
    chunk.clear();
    expected.push(...rows);
  }
  appender.closeSync();
  const got = (await conn.runAndReadAll(`SELECT b, i, d, t, s, hex(x), (dt - DATE '1970-01-01')::INTEGER, c FROM nc`)).getRows();
  expect(got.length).toBe(expected.length);
  const want = expected.map((r) => [r[0] === null ? null : BigInt(r[0]), r[1], r[2], r[3], r[4], r[5] === null ? null : Buffer.from(r[5]).toString('hex').toUpperCase(), r[6], r[7]]);
  for (let i = 0; i < want.length; i++) expect(got[i], `row ${i}`).toEqual(want[i]);
});
