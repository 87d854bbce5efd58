/**
 * Opt-in (TICKTAPE_TEST_CHDB=1): ClickHouse embedded (chdb, from npm; about 550 MB, so not a
 * dependency) reads the moto bucket with a hive glob, as the README's ClickHouse section does, and
 * gets the same trade counts and one-minute bars as `ticktape query --data s3://…`.
 *
 * chdb is resolved from TICKTAPE_CHDB_PATH when set: a folder it was installed into out of the
 * tree (`mkdir /tmp/chdb && cd /tmp/chdb && npm install --no-save chdb@3.4.0`, then
 * `TICKTAPE_CHDB_PATH=/tmp/chdb`), or else from the project's own node_modules
 * (`npm install --no-save chdb@3.4.0` in the checkout).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../../helpers/system-tools.js';
import { startMoto, type Moto } from '../../helpers/moto.js';
import { recordFixture, type Fixture } from '../../analysis/fixture.js';
import { openRemoteDataSource } from '../../../store/remote/data-source.js';
import { uploadStore } from '../../../store/remote/uploader.js';
import { sealClosedSegments } from '../../../store/seal/index.js';
import { openAnalysis } from '../../../analysis/open.js';

const enabled = process.env.TICKTAPE_TEST_CHDB === '1';
if (!enabled) process.stderr.write('SKIPPED chdb test: set TICKTAPE_TEST_CHDB=1 (and npm install --no-save chdb@3.4.0, in the project or in a folder TICKTAPE_CHDB_PATH names) to run it\n');
const skip = !enabled || skipWithout('moto', 'chdb reading the bucket');

let moto: Moto;
let fx: Fixture;
const URL = `s3://tt-chdb-${process.pid}/tape`;

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  fx = await recordFixture({ minFrames: 200 });
  // The recorder seals at shutdown within its budget; what a slow stop left in the journal is
  // sealed here, since only sealed partitions are shipped.
  await sealClosedSegments(fx.data);
  const store = await moto.store(URL);
  const up = await uploadStore(fx.data, store);
  expect(up.failures).toEqual([]);
  expect(up.uploaded).toBeGreaterThan(0);
}, 300_000);
afterAll(async () => {
  await moto?.stop();
  await fx?.cleanup?.();
});

const TRADES = `SELECT exchange, symbol, count(*) AS n FROM trades GROUP BY exchange, symbol ORDER BY exchange, symbol`;
const BARS = `SELECT exchange, symbol, intDiv(recv_ns, 60000000000) AS minute, count(*) AS n, min(price) AS low, max(price) AS high
  FROM trades GROUP BY exchange, symbol, minute ORDER BY exchange, symbol, minute`;

describe.skipIf(skip)('chdb over the bucket', () => {
  it('gives the same trade counts and bars as ticktape query --data s3://', async () => {
    let chdb: { query(sql: string, format: string): string };
    const resolveFrom = process.env.TICKTAPE_CHDB_PATH ? path.join(path.resolve(process.env.TICKTAPE_CHDB_PATH), 'package.json') : import.meta.url;
    try {
      chdb = createRequire(resolveFrom)('chdb');
    } catch (err) {
      throw new Error(
        `TICKTAPE_TEST_CHDB=1 but chdb cannot be loaded from ${process.env.TICKTAPE_CHDB_PATH ?? 'the project'} (${(err as Error).message}): npm install --no-save chdb@3.4.0 there, or point TICKTAPE_CHDB_PATH at the folder it was installed into`,
      );
    }
    const glob = `${moto.endpoint}/${URL.slice(5)}/trades/exchange=*/date=*/*.parquet`;
    const from = `s3('${glob}', '${moto.env.AWS_ACCESS_KEY_ID}', '${moto.env.AWS_SECRET_ACCESS_KEY}', 'Parquet') SETTINGS use_hive_partitioning = 1`;
    const ch = (sql: string) =>
      chdb
        .query(sql.replace('FROM trades', `FROM ${from.split(' SETTINGS')[0]}`) + ' SETTINGS use_hive_partitioning = 1', 'CSV')
        .trim()
        .split('\n')
        .map((l) => l.replace(/"/g, ''));
    const src = await openRemoteDataSource(URL, { env: moto.env, cacheDir: path.join(fx.data, '..', 'cache') });
    try {
      const tape = await openAnalysis(src.dir, { includeJournal: false });
      try {
        const tt = async (sql: string) => ((await tape.conn.runAndReadAll(sql.replace('intDiv(recv_ns, 60000000000)', '(recv_ns // 60000000000)'))).getRows() as unknown[][]).map((r) => r.map(String).join(','));
        const trades = await tt(TRADES);
        expect(trades.length).toBeGreaterThan(0);
        expect(ch(TRADES)).toEqual(trades);
        expect(ch(BARS)).toEqual(await tt(BARS));
      } finally {
        tape.close();
      }
    } finally {
      src.close();
    }
  });
});
