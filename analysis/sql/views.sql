-- ticktape derived views and macros.
-- Needs the base views raw, trades, book, klines, tickers, orders, fills, balances, positions, gaps
-- (ticktape creates them; in the stock duckdb CLI run `SET VARIABLE data = '/path/to/data'; .read analysis/sql/base.sql` first).
-- Times: *_ns are BIGINT ns since the epoch; `ts` columns are TIMESTAMP (UTC, µs).
--
-- Speed notes (measured on 10M-row tables, see bench/analysis.ts): time filters are written on
-- `recv_ns` and the hive key `date`, which the Parquet scan prunes by file and row group; ordering
-- keys are single BIGINTs (a STRUCT key makes arg_min twice as slow); per-message aggregates
-- group on exchange, symbol, stream and the frame's key, never any_value(): a filter on a grouped
-- column is pushed below the aggregate into the scan, a filter on any_value() is not.

-- The comparison key of a symbol: BTC/USDT, btc-usdt, BTC_USDT and BTCUSDT all give BTCUSDT, so a
-- symbol selects the same instrument however it is written (core/symbols.ts symbolKey, kept equal by a test).
CREATE OR REPLACE MACRO tt_symbol_key(s) AS upper(regexp_replace(CAST(s AS VARCHAR), '[^A-Za-z0-9]', '', 'g'));

-- An exchange id (or NULL), or an error naming the valid ones: a typo in a macro argument would
-- otherwise select nothing, silently. The list is exchanges/types.ts EXCHANGE_IDS (a test keeps them equal).
CREATE OR REPLACE MACRO tt_exchange(ex) AS
  CASE WHEN ex IS NULL OR ex IN ('coinstore', 'coinsuper', 'nexus', 'coinceres') THEN ex
       ELSE error('TT_UNKNOWN_EXCHANGE: unknown exchange "' || ex || '": use one of coinstore, coinsuper, nexus, coinceres') END;

-- A ns time as TIMESTAMP.
CREATE OR REPLACE MACRO tt_ts(ns) AS make_timestamp((ns) // 1000);

-- The latest time the macros accept (2100-01-01): an open upper bound without TIMESTAMP overflow.
CREATE OR REPLACE MACRO tt_max_ns() AS 4102444800000000000;

-- How far receive time may trail or lead the exchange's time for a trade to still be found by a
-- time-range filter on receive time (a filter on event time alone cannot prune files): 10 minutes.
CREATE OR REPLACE MACRO tt_slack_ns() AS 600000000000;

-- Event time of a normalized row: the exchange's timestamp when it has one, else the receive time.
CREATE OR REPLACE MACRO tt_event_ns(exchange_ts_ms, recv_ns) AS coalesce((exchange_ts_ms) * 1000000, recv_ns);

-- Ordering key of a trade, one BIGINT: its event time, and within the exchange's millisecond the
-- receive order (µs of receive time relative to the exchange time, offset by 0.5 s and clamped to
-- the millisecond's 10^6 ns). So the key stays inside the trade's own millisecond (buckets are the
-- same as by event time) while trades of one millisecond that arrived in different frames keep
-- their arrival order. Trades of one frame with the same exchange time tie: their order is not
-- known (Coinsuper's trade window lists them newest first), and open/close pick one of them.
CREATE OR REPLACE MACRO tt_trade_key(exchange_ts_ms, recv_ns) AS
  CASE WHEN (exchange_ts_ms) IS NULL THEN (recv_ns)
       ELSE (exchange_ts_ms) * 1000000 + least(999999, greatest(0, ((recv_ns) - (exchange_ts_ms) * 1000000) // 1000 + 500000)) END;

-- A fixed-length interval ('1 second', '5 minutes', INTERVAL 1 hour) in ns; buckets are aligned to the Unix epoch.
CREATE OR REPLACE MACRO tt_interval_ns(iv) AS epoch_us(CAST(iv AS INTERVAL)) * 1000;

-- Best bid / ask and their sizes per book message. The size at the best price sums every level
-- quoted at that price (Nexus lists one level per counterparty; up to 4 at one price are summed).
-- `crossed` marks books whose best bid is at or above the best ask: Nexus mixes in internal
-- counterparties, and such books are flagged, never "fixed".
CREATE OR REPLACE VIEW top_of_book AS
SELECT exchange, symbol, stream, recv_ns, conn_id, seq, exchange_ts_ms,
       bp[1] AS bid_price, list_sum(list_filter(list_zip(bp, ba), x -> x[1] = bp[1]).apply(x -> x[2])) AS bid_amount,
       ap[1] AS ask_price, list_sum(list_filter(list_zip(ap, aa), x -> x[1] = ap[1]).apply(x -> x[2])) AS ask_amount,
       bid_levels, ask_levels,
       coalesce(bp[1] >= ap[1], false) AS crossed
FROM (
  SELECT exchange, symbol, stream, recv_ns, conn_id, seq,
         max(exchange_ts_ms) AS exchange_ts_ms,
         max(price, 4) FILTER (WHERE side = 'bid') AS bp, max_by(amount, price, 4) FILTER (WHERE side = 'bid') AS ba,
         min(price, 4) FILTER (WHERE side = 'ask') AS ap, min_by(amount, price, 4) FILTER (WHERE side = 'ask') AS aa,
         count(*) FILTER (WHERE side = 'bid') AS bid_levels,
         count(*) FILTER (WHERE side = 'ask') AS ask_levels
  FROM book
  WHERE amount > 0
  -- exchange and stream are grouped on (not any_value) so that filters on them reach the scan
  GROUP BY exchange, symbol, stream, recv_ns, conn_id, seq
);

-- Spread per book message: absolute, in basis points of the mid, and the mid. Negative only where
-- `crossed` (the exchange published a crossed book).
CREATE OR REPLACE VIEW spread AS
SELECT exchange, symbol, stream, recv_ns, conn_id, seq, tt_ts(recv_ns) AS ts,
       bid_price, ask_price, bid_amount, ask_amount,
       ask_price - bid_price AS spread,
       (ask_price + bid_price) / 2 AS mid,
       (ask_price - bid_price) / ((ask_price + bid_price) / 2) * 10000 AS spread_bps,
       crossed
FROM top_of_book
WHERE bid_price IS NOT NULL AND ask_price IS NOT NULL;

-- OHLCV bars from trades at any fixed interval:
--   SELECT * FROM bars('1 minute');  SELECT * FROM bars('1 second', ex := 'coinstore', sym := 'BTCUSDT', from_ns := ..., to_ns := ...)
-- Bucketed by event time (the exchange's trade time where it sends one, else receive time), aligned
-- to the Unix epoch; open/close are the first/last trade by tt_trade_key. from_ns/to_ns bound the
-- event time ([from, to)); they also prune files by receive time, allowing tt_slack_ns() of clock skew.
-- A bar is the same whatever order the rows arrive in (one store or several, files listed in any
-- order, any number of threads): a DOUBLE sum depends on the order of its additions and DuckDB's
-- parallel aggregation adds in no fixed order, so volumes and notionals are summed exactly as
-- DECIMAL(38,12) (each value rounded at 1e-12 first, far below any exchange's tick) and turned
-- back into DOUBLE at the end; trades tied on the key (one frame, one exchange millisecond) are
-- told apart by a hash of their price, so open and close do not depend on the scan either.
CREATE OR REPLACE MACRO bars(iv, ex := NULL, sym := NULL, from_ns := NULL, to_ns := NULL) AS TABLE
WITH t AS (
  -- Each bound is written `(bound IS NULL OR ...)`: an absent bound folds to TRUE and costs nothing
  -- per row (a filter against a far-away constant still runs on every row).
  SELECT exchange, symbol, price, amount::DECIMAL(38,12) AS amount, (price * amount)::DECIMAL(38,12) AS notional, side,
         tt_trade_key(exchange_ts_ms, recv_ns) AS k
  FROM trades
  WHERE (ex IS NULL OR exchange = tt_exchange(ex)) AND (sym IS NULL OR tt_symbol_key(symbol) = tt_symbol_key(sym))
    AND (from_ns IS NULL OR (recv_ns >= from_ns - tt_slack_ns() AND date >= CAST(tt_ts(greatest(from_ns - tt_slack_ns(), 0)) AS DATE)))
    AND (to_ns IS NULL OR (recv_ns < least(to_ns, tt_max_ns()) + tt_slack_ns() AND date <= CAST(tt_ts(least(to_ns, tt_max_ns()) + tt_slack_ns()) AS DATE)))
)
SELECT exchange, symbol, tt_ts(b * tt_interval_ns(iv)) AS ts,
       open, high, low, close, volume, vwap, trades, buy_volume, sell_volume
FROM (
  SELECT exchange, symbol, k // tt_interval_ns(iv) AS b,
         arg_min(price, k::HUGEINT * 18446744073709551616 + hash(price)) AS open,
         max(price) AS high,
         min(price) AS low,
         arg_max(price, k::HUGEINT * 18446744073709551616 + hash(price)) AS close,
         CAST(sum(amount) AS DOUBLE) AS volume,
         CAST(sum(notional) AS DOUBLE) / nullif(CAST(sum(amount) AS DOUBLE), 0) AS vwap,
         count(*) AS trades,
         -- CASE, not FILTER: one pass over the side column, measurably cheaper here
         CAST(sum(CASE WHEN side = 'buy' THEN amount ELSE 0 END) AS DOUBLE) AS buy_volume,
         CAST(sum(CASE WHEN side = 'sell' THEN amount ELSE 0 END) AS DOUBLE) AS sell_volume
  FROM t
  WHERE (from_ns IS NULL OR k >= from_ns) AND (to_ns IS NULL OR k < to_ns)
  GROUP BY exchange, symbol, b
)
ORDER BY exchange, symbol, ts;

-- The book as it stood at a moment: the last snapshot at or before t (any stream of that exchange
-- and symbol), plus that stream's later updates up to t. Levels are renumbered best first (ties at
-- one price keep the message's order, e.g. Nexus counterparties). Snapshots older than `lookback`
-- (default one day) are not searched: a book that old is not "the book at t", and the bound lets
-- the scan skip earlier files.
--   SELECT * FROM book_at('coinstore', 'BTCUSDT', '2026-11-23 10:00:00');  -- t castable to TIMESTAMP (UTC)
CREATE OR REPLACE MACRO book_at_ns(ex, sym, t_ns, lookback := INTERVAL 1 day) AS TABLE
WITH snap AS (
  -- the last snapshot message: a narrow scan (key columns only) of the lookback window; its symbol
  -- as the data spells it (sym may be written any way) joins the rows below exactly
  SELECT stream, symbol, recv_ns, conn_id, seq FROM book
  WHERE exchange = tt_exchange(ex) AND tt_symbol_key(symbol) = tt_symbol_key(sym) AND is_snapshot
    AND recv_ns <= t_ns AND recv_ns > t_ns - tt_interval_ns(lookback)
    AND date BETWEEN CAST(tt_ts(t_ns - tt_interval_ns(lookback)) AS DATE) AND CAST(tt_ts(t_ns) AS DATE)
  ORDER BY recv_ns DESC, conn_id DESC, seq DESC LIMIT 1
), msg AS (
  -- its rows (rank 0; the equality join lets the scan skip to that row group) ...
  SELECT b.side, b.price, b.amount, b.cp, b.level, b.stream, b.recv_ns, b.seq, 0 AS later
  FROM book b JOIN snap s ON b.recv_ns = s.recv_ns AND b.conn_id = s.conn_id AND b.seq = s.seq AND b.stream = s.stream AND b.symbol = s.symbol
  WHERE b.exchange = ex
    AND b.date BETWEEN CAST(tt_ts(t_ns - tt_interval_ns(lookback)) AS DATE) AND CAST(tt_ts(t_ns) AS DATE)
  UNION ALL
  -- ... and the later updates of its stream up to t (absolute sizes; 0 removes the level)
  SELECT b.side, b.price, b.amount, b.cp, b.level, b.stream, b.recv_ns, b.seq, 1 AS later
  FROM book b JOIN snap s ON b.stream = s.stream AND b.symbol = s.symbol
  WHERE b.exchange = ex AND NOT b.is_snapshot
    AND b.recv_ns <= t_ns AND b.recv_ns > t_ns - tt_interval_ns(lookback)
    AND b.date BETWEEN CAST(tt_ts(t_ns - tt_interval_ns(lookback)) AS DATE) AND CAST(tt_ts(t_ns) AS DATE)
    AND (b.recv_ns > s.recv_ns OR (b.recv_ns = s.recv_ns AND b.conn_id = s.conn_id AND b.seq > s.seq))
), latest AS (
  -- the last word on each (side, price, counterparty)
  SELECT side, price, cp, stream, arg_max(amount, (later, recv_ns, seq)) AS amount,
         min(level) AS first_level, max(recv_ns) AS recv_ns
  FROM msg GROUP BY side, price, cp, stream
)
SELECT side,
       CAST(row_number() OVER (PARTITION BY side ORDER BY CASE WHEN side = 'bid' THEN -price ELSE price END, first_level, cp) - 1 AS INTEGER) AS level,
       price, amount, cp, stream, recv_ns
FROM latest WHERE amount > 0
ORDER BY side, level;

CREATE OR REPLACE MACRO book_at(ex, sym, t, lookback := INTERVAL 1 day) AS TABLE
SELECT * FROM book_at_ns(ex, sym, epoch_ns(CAST(t AS TIMESTAMP)), lookback := lookback);

-- Depth and trade imbalance per exchange, symbol and minute, in [-1, 1] (positive = bid/buy heavy).
CREATE OR REPLACE VIEW imbalance AS
WITH depth AS (
  SELECT exchange, symbol, time_bucket(INTERVAL 1 minute, tt_ts(recv_ns)) AS ts,
         avg((bid_depth - ask_depth) / nullif(bid_depth + ask_depth, 0)) AS depth_imbalance,
         avg((bid_top5 - ask_top5) / nullif(bid_top5 + ask_top5, 0)) AS depth_imbalance_top5
  FROM (
    SELECT exchange, symbol, recv_ns, conn_id, seq,
           sum(amount) FILTER (WHERE side = 'bid') AS bid_depth,
           sum(amount) FILTER (WHERE side = 'ask') AS ask_depth,
           sum(amount) FILTER (WHERE side = 'bid' AND level < 5) AS bid_top5,
           sum(amount) FILTER (WHERE side = 'ask' AND level < 5) AS ask_top5
    FROM book GROUP BY exchange, symbol, recv_ns, conn_id, seq
  ) GROUP BY ALL
), flow AS (
  SELECT exchange, symbol, time_bucket(INTERVAL 1 minute, tt_ts(recv_ns)) AS ts,
         (coalesce(sum(amount) FILTER (WHERE side = 'buy'), 0) - coalesce(sum(amount) FILTER (WHERE side = 'sell'), 0))
           / nullif(sum(amount), 0) AS trade_imbalance,
         sum(amount) AS volume
  FROM trades GROUP BY ALL
)
SELECT coalesce(d.exchange, f.exchange) AS exchange, coalesce(d.symbol, f.symbol) AS symbol, coalesce(d.ts, f.ts) AS ts,
       d.depth_imbalance, d.depth_imbalance_top5, f.trade_imbalance, f.volume
FROM depth d FULL OUTER JOIN flow f ON d.exchange = f.exchange AND d.symbol = f.symbol AND d.ts = f.ts;

-- Receive time minus exchange time: one sample per trade and ticker row that carries an exchange
-- time, and one per book message (against its freshest level time: Nexus stamps each level with
-- its counterparty's quote time, so older levels measure quote age, not latency).
CREATE OR REPLACE VIEW latency_samples AS
SELECT exchange, stream, symbol, recv_ns, (recv_ns - exchange_ts_ms * 1000000) / 1e6 AS latency_ms FROM trades WHERE exchange_ts_ms IS NOT NULL
UNION ALL
SELECT exchange, stream, symbol, recv_ns, (recv_ns - max(exchange_ts_ms) * 1000000) / 1e6
FROM book WHERE exchange_ts_ms IS NOT NULL GROUP BY exchange, stream, symbol, recv_ns, conn_id, seq
UNION ALL
SELECT exchange, stream, symbol, recv_ns, (recv_ns - exchange_ts_ms * 1000000) / 1e6 FROM tickers WHERE exchange_ts_ms IS NOT NULL;

-- Latency percentiles per stream (ms). Only as good as both clocks: see the `clock` events in raw.
CREATE OR REPLACE VIEW latency AS
SELECT exchange, stream, samples, min_ms, q[1] AS p50_ms, q[2] AS p90_ms, q[3] AS p99_ms, max_ms
FROM (
  SELECT exchange, stream, count(*) AS samples, min(latency_ms) AS min_ms,
         quantile_cont(latency_ms, [0.5, 0.9, 0.99]) AS q, max(latency_ms) AS max_ms
  FROM latency_samples GROUP BY exchange, stream
);

-- Data quality per stream of incoming frames (stream '' holds the frames that name no stream:
-- session control, and malformed frames that could not be read far enough to name one):
--   frames, first/last receive time, frames per second (over at least one second),
--   repeated_frames    frames the recorder flagged as repeats after a reconnect (flag 8, overlap),
--   duplicate_trades   trade ids normalized more than once on the stream,
--   out_of_order       connection-seconds whose first frame has a lower recorder sequence than the
--                      previous second's last frame of the same connection (the clock stepped back),
--   sequence_gaps / gaps / gap_seconds   from the gaps table (sequence, disconnect, journal loss, ...;
--                      gaps of a whole connection, stream '', count for each of the exchange's streams),
--   quiet_periods      silences of the stream longer than 10 × its mean spacing and 1 s,
--   max_quiet_s        the longest silence (exact from 1 s up; shorter ones show as < 1),
--   malformed.
-- Stored records are checked by `ticktape verify`, not here.
-- Frames are first reduced to one row per stream, connection and second (count, first and last
-- time and sequence): a silence of 1 s or more always spans such rows, so the window that finds
-- silences runs over seconds, not frames (10M frames sort in seconds; their buckets in a fraction).
CREATE OR REPLACE VIEW quality AS
WITH sec AS (
  SELECT exchange, stream, conn_id, recv_ns // 1000000000 AS s,
         count(*) AS n, min(recv_ns) AS min_ns, max(recv_ns) AS max_ns, min(seq) AS min_seq, max(seq) AS max_seq,
         count(*) FILTER (WHERE malformed) AS malformed,
         count(*) FILTER (WHERE (flags & 8) <> 0) AS repeated
  FROM raw WHERE direction = 'in'
  GROUP BY exchange, stream, conn_id, s
), per AS (
  SELECT exchange, stream, sum(n) AS frames, min(min_ns) AS first_ns, max(max_ns) AS last_ns,
         sum(malformed) AS malformed, sum(repeated) AS repeated_frames
  FROM sec GROUP BY exchange, stream
), steps AS (
  SELECT exchange, stream,
         -- the silence before a bucket: its first frame minus the latest frame of every bucket that
         -- started before it (connections overlap during a reconnect)
         min_ns - max(max_ns) OVER (PARTITION BY exchange, stream ORDER BY min_ns, conn_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS dt_ns,
         CASE WHEN conn_id = lag(conn_id) OVER (PARTITION BY exchange, stream ORDER BY s, conn_id)
              THEN min_seq < lag(max_seq) OVER (PARTITION BY exchange, stream ORDER BY s, conn_id) END AS inverted
  FROM sec
), st AS (
  SELECT steps.exchange, steps.stream,
         count(*) FILTER (WHERE dt_ns > greatest(1e9, 10 * (per.last_ns - per.first_ns) / per.frames)) AS quiet_periods,
         max(dt_ns) AS max_quiet_ns,
         count(*) FILTER (WHERE inverted) AS out_of_order
  FROM steps JOIN per ON steps.exchange = per.exchange AND steps.stream = per.stream
  GROUP BY steps.exchange, steps.stream
), g AS (
  SELECT per.exchange, per.stream, count(*) AS gaps, count(*) FILTER (WHERE gaps.cause = 'sequence') AS sequence_gaps,
         sum(gaps.end_ns - gaps.start_ns) AS gap_ns
  FROM gaps JOIN per ON gaps.exchange = per.exchange AND (gaps.stream = per.stream OR gaps.stream = '')
  GROUP BY ALL
), dup_trades AS (
  -- grouped on a 64-bit hash of (symbol, trade_id): ids are long strings, and hashing them once
  -- is about twice as fast as grouping on the strings (a collision would need 2^32 trades)
  SELECT exchange, stream, sum(n - 1) AS duplicate_trades FROM (
    SELECT exchange, stream, hash(symbol, trade_id) AS h, count(*) AS n FROM trades WHERE trade_id IS NOT NULL
    GROUP BY exchange, stream, h HAVING count(*) > 1
  ) GROUP BY ALL
)
SELECT per.exchange, per.stream, per.frames,
       tt_ts(per.first_ns) AS first_ts, tt_ts(per.last_ns) AS last_ts,
       per.frames / greatest((per.last_ns - per.first_ns) / 1e9, 1) AS frames_per_s,
       per.repeated_frames, coalesce(dup_trades.duplicate_trades, 0) AS duplicate_trades,
       coalesce(st.out_of_order, 0) AS out_of_order, coalesce(g.sequence_gaps, 0) AS sequence_gaps, coalesce(g.gaps, 0) AS gaps,
       coalesce(g.gap_ns, 0) / 1e9 AS gap_seconds,
       coalesce(st.quiet_periods, 0) AS quiet_periods, coalesce(st.max_quiet_ns, 0) / 1e9 AS max_quiet_s,
       per.malformed
FROM per
LEFT JOIN st ON st.exchange = per.exchange AND st.stream = per.stream
LEFT JOIN g ON g.exchange = per.exchange AND g.stream = per.stream
LEFT JOIN dup_trades ON dup_trades.exchange = per.exchange AND dup_trades.stream = per.stream
ORDER BY per.exchange, per.stream;
