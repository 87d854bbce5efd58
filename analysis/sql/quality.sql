-- Data quality per stream: frames/s, duplicates, out-of-order frames, sequence gaps, quiet periods, malformed frames.
-- Parameters: exchange.
SELECT * FROM quality
WHERE (getvariable('exchange') IS NULL OR exchange = getvariable('exchange'))
ORDER BY exchange, stream;
