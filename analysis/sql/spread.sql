-- Spread statistics per exchange, symbol and interval: mean/min/max spread in bps, mean mid, crossed books.
-- Parameters: exchange, symbol, from_ns, to_ns, interval.
SELECT exchange, symbol, time_bucket(CAST(getvariable('interval') AS INTERVAL), ts) AS ts,
       count(*) AS books,
       avg(spread_bps) FILTER (WHERE NOT crossed) AS mean_spread_bps,
       min(spread_bps) FILTER (WHERE NOT crossed) AS min_spread_bps,
       max(spread_bps) FILTER (WHERE NOT crossed) AS max_spread_bps,
       avg(mid) AS mean_mid,
       count(*) FILTER (WHERE crossed) AS crossed_books
FROM spread
WHERE (getvariable('exchange') IS NULL OR exchange = getvariable('exchange'))
  AND (getvariable('symbol') IS NULL OR tt_symbol_key(symbol) = tt_symbol_key(getvariable('symbol')))
  AND recv_ns >= getvariable('from_ns') AND recv_ns < getvariable('to_ns')
GROUP BY ALL ORDER BY exchange, symbol, ts;
