/**
 * The same rebuild in SQL, for DuckDB (views over raw, verification) and for the stock duckdb CLI
 * (analysis/sql/base.sql carries this text; a test keeps the two identical). `tt_payload(...)`
 * returns the exact payload BLOB of any raw row, templated or not.
 */
import { SLOT_COLUMNS, TEMPLATE_COLUMNS } from './format.js';

/**
 * `tt_payload(payload, tpl, pre, rest, n0, ..., n15)` and its helpers, as CREATE MACRO statements.
 * Vectorized string functions only (one replace per slot marker, then the rest fields zipped in):
 * lambdas that capture columns cost about a millisecond per row in DuckDB.
 */
export const PAYLOAD_MACROS_SQL = [
  `CREATE OR REPLACE MACRO tt_dec_point(p, s) AS left(p, length(p) - s) || '.' || right(p, s)`,
  `CREATE OR REPLACE MACRO tt_dec(v) AS tt_dec_point(lpad(CAST(v // 16 AS VARCHAR), CAST(greatest(length(CAST(v // 16 AS VARCHAR)), v % 16 + 1) AS INTEGER), '0'), CAST(v % 16 AS INTEGER))`,
  `CREATE OR REPLACE MACRO tt_slots(t, ${SLOT_COLUMNS.join(', ')}) AS ${SLOT_COLUMNS.reduce(
    (acc, c, j) => `replace(replace(${acc}, chr(30) || '${String.fromCharCode(48 + j)}', coalesce(CAST(${c} AS VARCHAR), '')), chr(29) || '${String.fromCharCode(48 + j)}', coalesce(tt_dec(${c}), ''))`,
    't',
  )}`,
  // `|| left(t, 0)`: NULL for a NULL template (list_zip of NULLs gives a list, and its string is '').
  `CREATE OR REPLACE MACRO tt_fill(t, rest) AS array_to_string(flatten(list_transform(list_zip(string_split(t, chr(31)), string_split(rest, chr(31))), z -> [z[1], coalesce(z[2], '')])), '') || left(t, 0)`,
  // A templated row has no payload and a row with a payload has no template (stage.ts), so
  // coalesce() picks the one there is: it costs half of a CASE on tpl, which evaluates its ELSE
  // branch through a selection of the rows.
  `CREATE OR REPLACE MACRO tt_payload(payload, tpl, pre, rest, ${SLOT_COLUMNS.join(', ')}) AS coalesce(payload, coalesce(pre, ''::BLOB) || encode(tt_fill(tt_slots(tpl, ${SLOT_COLUMNS.join(', ')}), rest)))`,
];

/** The payload of a raw row as an expression over its columns (qualified by `alias.` when given). */
export function payloadExpr(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `tt_payload(${a}"payload", ${a}"tpl", ${a}"pre", ${a}"rest", ${SLOT_COLUMNS.map((c) => `${a}"${c}"`).join(', ')})`;
}

/** The storage columns, for `SELECT * EXCLUDE (...)`. */
export const TEMPLATE_COLUMNS_SQL = TEMPLATE_COLUMNS.map((c) => `"${c}"`).join(', ');

/** DDL of the template columns (after the raw table's own). */
export const TEMPLATE_COLUMNS_DDL = ['"tpl" VARCHAR', '"pre" BLOB', '"rest" VARCHAR', ...SLOT_COLUMNS.map((c) => `"${c}" BIGINT`), '"rank" BIGINT'].join(', ');

/** An empty table with just the template columns, so a union by name always has them (older files lack them). */
export const TEMPLATE_EMPTY_TABLE = 'tt_template_columns';
export const TEMPLATE_EMPTY_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${TEMPLATE_EMPTY_TABLE} (${TEMPLATE_COLUMNS_DDL})`;

/**
 * Raw rows of `source` (any mix of templated and older files, or staged journals) with their exact
 * payload and the raw table's columns only: what the `raw` view shows.
 */
export function rawRowsSql(source: string): string {
  return `SELECT * EXCLUDE (${TEMPLATE_COLUMNS_SQL}) REPLACE (${payloadExpr()} AS "payload") FROM (${source} UNION ALL BY NAME SELECT * FROM ${TEMPLATE_EMPTY_TABLE})`;
}
