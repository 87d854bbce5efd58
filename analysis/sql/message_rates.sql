-- Frames received per stream and interval (message rates), with bytes.
-- Parameters: exchange, from_ns, to_ns, interval.
SELECT exchange, stream, time_bucket(CAST(getvariable('interval') AS INTERVAL), tt_ts(recv_ns)) AS ts,
       count(*) AS frames, sum(octet_length(payload)) AS bytes
FROM raw
WHERE direction = 'in' AND stream <> ''
  AND (getvariable('exchange') IS NULL OR exchange = getvariable('exchange'))
  AND recv_ns >= getvariable('from_ns') AND recv_ns < getvariable('to_ns')
GROUP BY ALL ORDER BY exchange, stream, ts;
