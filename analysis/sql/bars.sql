-- OHLCV bars (open, high, low, close, volume, vwap, trades, buy/sell volume) per exchange and symbol at an interval.
-- Parameters: exchange, symbol (NULL = all), from_ns, to_ns (event time), interval (e.g. '1 minute').
SELECT * FROM bars(getvariable('interval'), ex := getvariable('exchange'), sym := getvariable('symbol'),
                   -- the defaults (0 and the largest BIGINT) mean "no bound": NULL lets the macro skip the filter
                   from_ns := nullif(getvariable('from_ns'), 0), to_ns := nullif(getvariable('to_ns'), 9223372036854775807))
ORDER BY exchange, symbol, ts;
