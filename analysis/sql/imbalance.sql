-- Depth imbalance (all levels and top 5) and trade-flow imbalance per minute, in [-1, 1].
-- Parameters: exchange, symbol, from_ns, to_ns.
SELECT * FROM imbalance
WHERE (getvariable('exchange') IS NULL OR exchange = getvariable('exchange'))
  AND (getvariable('symbol') IS NULL OR tt_symbol_key(symbol) = tt_symbol_key(getvariable('symbol')))
  AND ts >= tt_ts(getvariable('from_ns')) AND ts < tt_ts(getvariable('to_ns'))
ORDER BY exchange, symbol, ts;
