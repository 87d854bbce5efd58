/**
 * A paper session's results: every paper order change, fill and balance change, written as
 * Parquet in the schemas of the recorded private tables (`orders`, `fills`, `balances`,
 * schemas/tables.ts), laid out like a store so `ticktape query --data <folder>`, the analysis
 * views and `ticktape report --paper <folder>` read it as they read recorded data:
 *
 *   <folder>/paper.json                                                  what was run (deterministic)
 *   <folder>/<table>/exchange=<x>/date=<YYYY-MM-DD>/paper-day-<h>.parquet
 *
 * Rows: `recv_ns` is the recorded time the account acted at, `conn_id` = `paper-<session>`, `seq`
 * counts the account's outputs per exchange from 1, `stream` = `paper`. An order's first row is
 * its request's arrival (status `submitting` as the exchange spells it, schemas' statuses from
 * status-names.ts); the next is the engine's answer after the order-in delay. Starting balances are
 * rows at the session's start. The same outputs give the same files, byte for byte.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBAppender } from '@duckdb/node-api';
import { addDecimal, trimZeros } from '../../core/decimal.js';
import type { ExchangeId } from '../../exchanges/types.js';
import { SCHEMA_VERSION, SORT_KEYS, TABLES, createTableSql, type ColumnDef } from '../../schemas/tables.js';
import { openDuckSession } from '../../store/duck/index.js';
import { META, partitionDir, sqlStr } from '../../store/partitions.js';
import { orderTypeName, statusName } from './status-names.js';
import type { EngineOutput } from './types.js';

export const PAPER_TABLES = ['orders', 'fills', 'balances'] as const;
type PaperTable = (typeof PAPER_TABLES)[number];
const PAPER_STREAM = 'paper';
/** The "recorder instance" of paper files (their names start with it, as sealed files' do). */
const PAPER_INSTANCE = 'paper';
export const PAPER_MANIFEST = 'paper.json';

type Cell = string | number | bigint | boolean | null;
type Row = Record<string, Cell>;

const NS_PER_DAY = 86_400_000_000_000n;
const dateOf = (ns: bigint) => new Date(Number((ns / NS_PER_DAY) * 86_400_000n)).toISOString().slice(0, 10);

/** The file name of a session's files: stable per session, shaped like a compacted day file so the store's readers take it. */
function paperFileName(session: string): string {
  return `${PAPER_INSTANCE}-day-${createHash('sha256').update(session).digest('hex').slice(0, 16)}.parquet`;
}

export class PaperResults {
  private readonly rows: Record<PaperTable, Row[]> = { orders: [], fills: [], balances: [] };
  private readonly seqs = new Map<ExchangeId, number>();
  readonly connId: string;

  constructor(readonly session: string) {
    this.connId = `paper-${session}`;
  }

  /** Starting balances of an account, at the session's start. */
  start(exchange: ExchangeId, balances: Record<string, string>, atNs: bigint): void {
    for (const cur of Object.keys(balances).sort()) {
      this.push('balances', exchange, cur, atNs, { currency: cur, available: trimZeros(balances[cur]), frozen: '0', total: trimZeros(balances[cur]) });
    }
  }

  /** Handler for one account's engine outputs. */
  recorder(exchange: ExchangeId): (o: EngineOutput) => void {
    return (o) => this.record(exchange, o);
  }

  record(exchange: ExchangeId, o: EngineOutput): void {
    const e = o.event;
    const symbol = o.market?.symbol ?? '';
    switch (e.type) {
      case 'order': {
        const base = {
          order_id: e.orderId,
          client_order_id: e.clientOrderId,
          side: e.side,
          order_type: orderTypeName(exchange, e.orderType),
          price: e.orderType === 'limit' ? e.price : null,
          amount: e.amount,
        };
        if (o.arrivalNs !== undefined) {
          this.push('orders', exchange, symbol, o.arrivalNs, { ...base, status: statusName(exchange, 'submitting'), filled_amount: '0', avg_price: null });
        }
        this.push('orders', exchange, symbol, o.atNs, {
          ...base,
          status: statusName(exchange, e.status, e.filledAmount),
          filled_amount: e.filledAmount,
          avg_price: e.avgPrice === '0' ? null : e.avgPrice,
        });
        return;
      }
      case 'fill':
        this.push('fills', exchange, symbol, o.atNs, {
          fill_id: e.fillId,
          order_id: e.orderId,
          side: e.side,
          price: e.price,
          amount: e.amount,
          fee: e.fee,
          fee_currency: e.feeCurrency,
          liquidity: e.liquidity,
        });
        return;
      case 'balance':
        this.push('balances', exchange, e.currency, o.atNs, { currency: e.currency, available: e.available, frozen: e.frozen, total: trimZeros(addDecimal(e.available, e.frozen)) });
        return;
      default:
        return; // positions follow from fills (the report derives them)
    }
  }

  count(table: PaperTable): number {
    return this.rows[table].length;
  }

  /**
   * Writes the results under `folder` (replacing this session's earlier files there) with the
   * manifest `meta`. Each file is written to a temp name and renamed into place.
   */
  async write(folder: string, meta: Record<string, unknown>): Promise<string[]> {
    fs.mkdirSync(folder, { recursive: true });
    const written: string[] = [];
    const name = paperFileName(this.session);
    for (const table of PAPER_TABLES) {
      const root = path.join(folder, table);
      // this session's earlier files (another day range of a previous run) go first
      if (fs.existsSync(root)) for (const f of walk(root)) if (path.basename(f) === name) fs.rmSync(f);
    }
    const duck = await openDuckSession({ threads: 1 });
    try {
      for (const table of PAPER_TABLES) {
        const rows = this.rows[table];
        if (rows.length === 0) continue;
        const tmp = `paper_${table}`;
        await duck.conn.run(createTableSql(table, tmp));
        const app = await duck.conn.createAppender(tmp);
        for (const r of rows) appendRow(app, TABLES[table], r);
        app.flushSync();
        app.closeSync();
        const parts = new Map<string, Set<string>>();
        for (const r of rows) {
          const ex = String(r.exchange);
          const d = dateOf(r.recv_ns as bigint);
          if (!parts.has(ex)) parts.set(ex, new Set());
          parts.get(ex)!.add(d);
        }
        for (const [ex, dates] of [...parts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
          for (const d of [...dates].sort()) {
            const dir = partitionDir(folder, table, ex, d);
            fs.mkdirSync(dir, { recursive: true });
            const file = path.join(dir, name);
            const tmpFile = path.join(dir, `.${name}.tmp`);
            const { startNs, endNs } = { startNs: BigInt(Date.parse(`${d}T00:00:00Z`)) * 1_000_000n, endNs: BigInt(Date.parse(`${d}T00:00:00Z`)) * 1_000_000n + NS_PER_DAY };
            const cols = TABLES[table].map((c) => `"${c.name}"`).join(', ');
            const kv = `{${sqlStr(META.schemaVersion)}: ${sqlStr(String(SCHEMA_VERSION))}, ${sqlStr(META.table)}: ${sqlStr(table)}, ${sqlStr(META.instance)}: ${sqlStr(PAPER_INSTANCE)}, 'ticktape.paper.session': ${sqlStr(this.session)}}`;
            await duck.conn.run(
              `COPY (SELECT ${cols} FROM ${tmp} WHERE exchange = ${sqlStr(ex)} AND recv_ns >= ${startNs} AND recv_ns < ${endNs} ORDER BY ${SORT_KEYS[table].map((k) => `"${k}"`).join(', ')})
               TO ${sqlStr(tmpFile)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA ${kv})`,
            );
            fs.renameSync(tmpFile, file);
            written.push(file);
          }
        }
      }
    } finally {
      duck.close();
    }
    fs.writeFileSync(path.join(folder, PAPER_MANIFEST), `${JSON.stringify(meta, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    return written;
  }

  private push(table: PaperTable, exchange: ExchangeId, symbol: string, atNs: bigint, fields: Row): void {
    const seq = (this.seqs.get(exchange) ?? 0) + 1;
    this.seqs.set(exchange, seq);
    this.rows[table].push({
      exchange,
      symbol,
      recv_ns: atNs,
      conn_id: this.connId,
      seq,
      stream: PAPER_STREAM,
      exchange_ts_ms: Number(atNs / 1_000_000n),
      ...fields,
    });
  }
}

function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** A decimal field's DOUBLE twin comes from its `_str` text. */
function appendRow(app: DuckDBAppender, cols: readonly ColumnDef[], row: Row): void {
  for (const c of cols) {
    let v: Cell | undefined = row[c.name];
    if (c.name.endsWith('_str')) v = row[c.name.slice(0, -4)];
    else if (c.type === 'DOUBLE') {
      const s = row[c.name];
      v = s === null || s === undefined ? null : Number(s);
    }
    if (v === null || v === undefined) {
      app.appendNull();
      continue;
    }
    switch (c.type) {
      case 'BIGINT':
        app.appendBigInt(typeof v === 'bigint' ? v : BigInt(v as number));
        break;
      case 'INTEGER':
        app.appendInteger(Number(v));
        break;
      case 'DOUBLE':
        app.appendDouble(Number(v));
        break;
      case 'BOOLEAN':
        app.appendBoolean(Boolean(v));
        break;
      default:
        app.appendVarchar(String(v));
    }
  }
  app.endRow();
}
