-- Every gap in the recording (disconnects, sequence gaps, journal loss, corruption, stale streams) with its duration.
-- Parameters: exchange, from_ns, to_ns.
SELECT exchange, stream, cause, tt_ts(start_ns) AS start_ts, tt_ts(end_ns) AS end_ts,
       (end_ns - start_ns) / 1e9 AS seconds, lost_frames, detail
FROM gaps
WHERE (getvariable('exchange') IS NULL OR exchange = getvariable('exchange'))
  AND end_ns >= getvariable('from_ns') AND start_ns < getvariable('to_ns')
ORDER BY start_ns, exchange, stream;
