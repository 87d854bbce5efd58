-- Receive time minus exchange time per stream: sample count and percentiles in ms.
-- Parameters: exchange, symbol, from_ns, to_ns.
SELECT exchange, stream, count(*) AS samples,
       round(quantile_cont(latency_ms, 0.5), 3) AS p50_ms,
       round(quantile_cont(latency_ms, 0.9), 3) AS p90_ms,
       round(quantile_cont(latency_ms, 0.99), 3) AS p99_ms,
       round(max(latency_ms), 3) AS max_ms
FROM latency_samples
WHERE (getvariable('exchange') IS NULL OR exchange = getvariable('exchange'))
  AND (getvariable('symbol') IS NULL OR tt_symbol_key(symbol) = tt_symbol_key(getvariable('symbol')))
  AND recv_ns >= getvariable('from_ns') AND recv_ns < getvariable('to_ns')
GROUP BY exchange, stream ORDER BY exchange, stream;
