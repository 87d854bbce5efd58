-- Base views over a ticktape data folder's sealed Parquet partitions, for the stock duckdb CLI:
--   SET VARIABLE data = '/path/to/data';
--   .read analysis/sql/base.sql
--   .read analysis/sql/views.sql
--   SET VARIABLE exchange = 'coinstore'; SET VARIABLE symbol = 'BTCUSDT'; ...   (see a script's Parameters line)
--   .read analysis/sql/bars.sql
-- (`ticktape query` and `ticktape analyze` create the same views and add the unsealed journals; run
-- `ticktape seal` first so this file sees everything, and no file twice while a seal is half done.)
--
-- A table with no file yet is an empty table with the same columns (schemas/tables.ts), so every
-- view and script works on any folder: each view reads through query() the SQL chosen here.

-- Raw files may store payloads as templates (ARCHITECTURE.md, "Payload templates"): tt_payload() rebuilds
-- every payload byte for byte, and the raw view shows it as payload (generated from store/template/sql.ts).
CREATE OR REPLACE MACRO tt_dec_point(p, s) AS left(p, length(p) - s) || '.' || right(p, s);
CREATE OR REPLACE MACRO tt_dec(v) AS tt_dec_point(lpad(CAST(v // 16 AS VARCHAR), CAST(greatest(length(CAST(v // 16 AS VARCHAR)), v % 16 + 1) AS INTEGER), '0'), CAST(v % 16 AS INTEGER));
CREATE OR REPLACE MACRO tt_payload(payload, tpl, pre, rest, slots) AS CASE WHEN tpl IS NULL THEN payload ELSE coalesce(pre, ''::BLOB) || encode(array_to_string(list_transform(list_zip(string_split(tpl, chr(31)), [NULL::VARCHAR] || string_split(rest, chr(31))), (z, k) -> CASE WHEN k = 1 THEN z[1] WHEN z[1][1] = 'r' THEN z[2] || z[1][2:] WHEN z[1][1] = 'i' THEN CAST(slots[unicode(z[1][2]) - 47] AS VARCHAR) || z[1][3:] ELSE tt_dec(slots[unicode(z[1][2]) - 47]) || z[1][3:] END), '')) END;
CREATE TABLE IF NOT EXISTS tt_template_columns ("tpl" VARCHAR, "pre" BLOB, "rest" VARCHAR, "n0" BIGINT, "n1" BIGINT, "n2" BIGINT, "n3" BIGINT, "n4" BIGINT, "n5" BIGINT, "n6" BIGINT, "n7" BIGINT, "n8" BIGINT, "n9" BIGINT, "n10" BIGINT, "n11" BIGINT, "n12" BIGINT, "n13" BIGINT, "n14" BIGINT, "n15" BIGINT, "rank" BIGINT);

CREATE OR REPLACE TABLE tt_empty_raw ("exchange" VARCHAR, "conn_id" VARCHAR, "seq" BIGINT, "recv_ns" BIGINT, "direction" VARCHAR, "kind" VARCHAR, "stream" VARCHAR, "endpoint" VARCHAR, "payload" BLOB, "malformed" BOOLEAN, "redacted" BOOLEAN, "instance" VARCHAR, "flags" INTEGER, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_trades ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "trade_id" VARCHAR, "price" DOUBLE, "price_str" VARCHAR, "amount" DOUBLE, "amount_str" VARCHAR, "side" VARCHAR, "venue" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_book ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "side" VARCHAR, "level" INTEGER, "price" DOUBLE, "price_str" VARCHAR, "amount" DOUBLE, "amount_str" VARCHAR, "is_snapshot" BOOLEAN, "levels" INTEGER, "cp" VARCHAR, "venue" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_klines ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "interval" VARCHAR, "interval_ms" BIGINT, "open_ts_ms" BIGINT, "open" DOUBLE, "open_str" VARCHAR, "high" DOUBLE, "high_str" VARCHAR, "low" DOUBLE, "low_str" VARCHAR, "close" DOUBLE, "close_str" VARCHAR, "volume" DOUBLE, "volume_str" VARCHAR, "quote_volume" DOUBLE, "quote_volume_str" VARCHAR, "venue" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_tickers ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "last" DOUBLE, "last_str" VARCHAR, "open" DOUBLE, "open_str" VARCHAR, "high" DOUBLE, "high_str" VARCHAR, "low" DOUBLE, "low_str" VARCHAR, "volume" DOUBLE, "volume_str" VARCHAR, "quote_volume" DOUBLE, "quote_volume_str" VARCHAR, "change" DOUBLE, "change_str" VARCHAR, "bid" DOUBLE, "bid_str" VARCHAR, "ask" DOUBLE, "ask_str" VARCHAR, "venue" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_orders ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "order_id" VARCHAR, "client_order_id" VARCHAR, "side" VARCHAR, "order_type" VARCHAR, "status" VARCHAR, "price" DOUBLE, "price_str" VARCHAR, "amount" DOUBLE, "amount_str" VARCHAR, "filled_amount" DOUBLE, "filled_amount_str" VARCHAR, "avg_price" DOUBLE, "avg_price_str" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_fills ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "fill_id" VARCHAR, "order_id" VARCHAR, "side" VARCHAR, "price" DOUBLE, "price_str" VARCHAR, "amount" DOUBLE, "amount_str" VARCHAR, "fee" DOUBLE, "fee_str" VARCHAR, "fee_currency" VARCHAR, "liquidity" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_balances ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "currency" VARCHAR, "available" DOUBLE, "available_str" VARCHAR, "frozen" DOUBLE, "frozen_str" VARCHAR, "total" DOUBLE, "total_str" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_positions ("exchange" VARCHAR, "symbol" VARCHAR, "recv_ns" BIGINT, "conn_id" VARCHAR, "seq" BIGINT, "stream" VARCHAR, "exchange_ts_ms" BIGINT, "side" VARCHAR, "amount" DOUBLE, "amount_str" VARCHAR, "entry_price" DOUBLE, "entry_price_str" VARCHAR, "unrealized_pnl" DOUBLE, "unrealized_pnl_str" VARCHAR, "realized_pnl" DOUBLE, "realized_pnl_str" VARCHAR, "margin" DOUBLE, "margin_str" VARCHAR, "book" VARCHAR, "date" DATE);
CREATE OR REPLACE TABLE tt_empty_gaps ("exchange" VARCHAR, "stream" VARCHAR, "start_ns" BIGINT, "end_ns" BIGINT, "cause" VARCHAR, "conn_id" VARCHAR, "seq" BIGINT, "detail" VARCHAR, "lost_frames" BIGINT, "date" DATE);

SET VARIABLE tt_src_raw = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/raw/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_raw'
  ELSE 'SELECT * EXCLUDE ("tpl", "pre", "rest", "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12", "n13", "n14", "n15", "rank") REPLACE (tt_payload("payload", "tpl", "pre", "rest", ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12", "n13", "n14", "n15"]) AS "payload") FROM (SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/raw/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true) UNION ALL BY NAME SELECT * FROM tt_template_columns)' END;
CREATE OR REPLACE VIEW "raw" AS SELECT * FROM query(getvariable('tt_src_raw'));
SET VARIABLE tt_src_trades = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/trades/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_trades'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/trades/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "trades" AS SELECT * FROM query(getvariable('tt_src_trades'));
SET VARIABLE tt_src_book = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/book/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_book'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/book/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "book" AS SELECT * FROM query(getvariable('tt_src_book'));
SET VARIABLE tt_src_klines = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/klines/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_klines'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/klines/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "klines" AS SELECT * FROM query(getvariable('tt_src_klines'));
SET VARIABLE tt_src_tickers = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/tickers/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_tickers'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/tickers/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "tickers" AS SELECT * FROM query(getvariable('tt_src_tickers'));
SET VARIABLE tt_src_orders = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/orders/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_orders'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/orders/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "orders" AS SELECT * FROM query(getvariable('tt_src_orders'));
SET VARIABLE tt_src_fills = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/fills/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_fills'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/fills/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "fills" AS SELECT * FROM query(getvariable('tt_src_fills'));
SET VARIABLE tt_src_balances = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/balances/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_balances'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/balances/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "balances" AS SELECT * FROM query(getvariable('tt_src_balances'));
SET VARIABLE tt_src_positions = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/positions/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_positions'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/positions/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "positions" AS SELECT * FROM query(getvariable('tt_src_positions'));
SET VARIABLE tt_src_gaps = CASE WHEN (SELECT count(*) FROM glob(getvariable('data') || '/gaps/**/*.parquet')) = 0 THEN 'SELECT * FROM tt_empty_gaps'
  ELSE 'SELECT * FROM read_parquet(''' || replace(getvariable('data'), '''', '''''') || '/gaps/**/*.parquet'', hive_partitioning = true, hive_types = {''exchange'': VARCHAR, ''date'': DATE}, union_by_name = true)' END;
CREATE OR REPLACE VIEW "gaps" AS SELECT * FROM query(getvariable('tt_src_gaps'));
