-- The order book of one exchange and symbol as it stood at `to_ns` (default: its latest book message).
-- Parameters: exchange, symbol (both required), to_ns.
SELECT * FROM book_at_ns(getvariable('exchange'), getvariable('symbol'),
  least(getvariable('to_ns'), (SELECT max(recv_ns) FROM book WHERE exchange = getvariable('exchange') AND tt_symbol_key(symbol) = tt_symbol_key(getvariable('symbol')))));
