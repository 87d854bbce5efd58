/**
 * Query results as text: an aligned table (for a terminal), CSV (RFC 4180) or a JSON array (for
 * pipes). CSV and JSON stream chunk by chunk, so a large result never sits in memory; the table
 * needs every row to align its columns, so it is capped (TABLE_MAX_ROWS).
 */
import type { DuckDBResult, DuckDBResultReader, DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';

export type OutputFormat = 'table' | 'csv' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

/** Rows a table shows before it stops (the rest is counted, not printed). */
export const TABLE_MAX_ROWS = 10_000;
/** A table cell longer than this is cut with an ellipsis (payloads, long JSON). */
const TABLE_MAX_CELL_CHARS = 80;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);
const NUMERIC_TYPES = new Set<DuckDBTypeId>([...INTEGER_TYPES, DuckDBTypeId.DOUBLE, DuckDBTypeId.FLOAT, DuckDBTypeId.DECIMAL]);

function cellText(v: Json): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function csvCell(v: Json): string {
  const s = cellText(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** JSON value with 64-bit integers as numbers where that is exact, strings otherwise. */
function jsonValue(v: Json, type: DuckDBType): Json {
  if (typeof v === 'string' && INTEGER_TYPES.has(type.typeId)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  return v;
}

interface WriteResultStats {
  rows: number;
  truncated: number;
}

/** Writes a result to `out` in the given format. */
export async function writeResult(result: DuckDBResult, format: OutputFormat, out: (s: string) => void): Promise<WriteResultStats> {
  const names = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  let rows = 0;
  if (format === 'csv') {
    out(names.map((n) => csvCell(n)).join(',') + '\n');
    for await (const batch of result.yieldRowsJson()) {
      let s = '';
      for (const r of batch as Json[][]) s += r.map(csvCell).join(',') + '\n';
      out(s);
      rows += batch.length;
    }
    return { rows, truncated: 0 };
  }
  if (format === 'json') {
    out('[');
    for await (const batch of result.yieldRowsJson()) {
      let s = '';
      for (const r of batch as Json[][]) {
        const o: Record<string, Json> = {};
        for (let i = 0; i < names.length; i++) o[names[i]] = jsonValue(r[i], types[i]);
        s += (rows++ === 0 ? '\n' : ',\n') + JSON.stringify(o);
      }
      out(s);
    }
    out(rows ? '\n]\n' : ']\n');
    return { rows, truncated: 0 };
  }
  const cells: string[][] = [];
  let truncated = 0;
  for await (const batch of result.yieldRowsJson()) {
    for (const r of batch as Json[][]) {
      if (cells.length >= TABLE_MAX_ROWS) {
        truncated++;
        continue;
      }
      cells.push(
        r.map((v) => {
          const s = v === null ? 'NULL' : cellText(v).replace(/[\r\n\t]/g, ' ');
          return s.length > TABLE_MAX_CELL_CHARS ? `${s.slice(0, TABLE_MAX_CELL_CHARS - 1)}…` : s;
        }),
      );
    }
  }
  rows = cells.length;
  out(
    formatTable(
      names,
      cells,
      types.map((t) => NUMERIC_TYPES.has(t.typeId)),
    ),
  );
  if (truncated) out(`(${truncated} more rows not shown; use --format csv or json, or LIMIT)\n`);
  return { rows, truncated };
}

/** An aligned text table; numeric columns right-aligned. */
export function formatTable(names: readonly string[], rows: readonly string[][], rightAlign: readonly boolean[] = []): string {
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (rightAlign[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const parts = [line(names), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  return parts.join('\n') + `\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}

/** A materialized result (or any rows) as text: the same table, CSV and JSON as `writeResult`. */
export function formatRows(names: readonly string[], rows: readonly Json[][], format: OutputFormat, types: readonly DuckDBType[] = []): string {
  if (format === 'csv') return [names.map((n) => csvCell(n)).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
  if (format === 'json') {
    const objs = rows.map((r) => Object.fromEntries(names.map((n, i) => [n, types[i] ? jsonValue(r[i], types[i]) : r[i]])));
    return `${JSON.stringify(objs)}\n`;
  }
  const cells = rows.slice(0, TABLE_MAX_ROWS).map((r) =>
    r.map((v) => {
      const s = v === null ? 'NULL' : cellText(v).replace(/[\r\n\t]/g, ' ');
      return s.length > TABLE_MAX_CELL_CHARS ? `${s.slice(0, TABLE_MAX_CELL_CHARS - 1)}…` : s;
    }),
  );
  const more = rows.length - cells.length;
  return (
    formatTable(
      names,
      cells,
      types.map((t) => NUMERIC_TYPES.has(t.typeId)),
    ) + (more > 0 ? `(${more} more rows not shown; use --format csv or json)\n` : '')
  );
}

/** A DuckDB materialized result as text. */
export function formatReader(result: DuckDBResultReader, format: OutputFormat): string {
  return formatRows(result.deduplicatedColumnNames(), result.getRowsJson() as Json[][], format, result.columnTypes());
}

/** The default format: a table on a terminal, CSV in a pipe. */
export function defaultFormat(): OutputFormat {
  return process.stdout.isTTY ? 'table' : 'csv';
}
