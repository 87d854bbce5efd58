-- Trades per exchange and symbol: count, volume, notional, VWAP, first and last trade, buy share.
-- Parameters: exchange, symbol, from_ns, to_ns.
SELECT exchange, symbol, count(*) AS trades, sum(amount) AS volume, sum(price * amount) AS notional,
       sum(price * amount) / nullif(sum(amount), 0) AS vwap,
       tt_ts(min(recv_ns)) AS first_ts, tt_ts(max(recv_ns)) AS last_ts,
       round(coalesce(sum(amount) FILTER (WHERE side = 'buy'), 0) / nullif(sum(amount), 0), 4) AS buy_share
FROM trades
WHERE (getvariable('exchange') IS NULL OR exchange = getvariable('exchange'))
  AND (getvariable('symbol') IS NULL OR tt_symbol_key(symbol) = tt_symbol_key(getvariable('symbol')))
  AND recv_ns >= getvariable('from_ns') AND recv_ns < getvariable('to_ns')
GROUP BY exchange, symbol ORDER BY exchange, symbol;
