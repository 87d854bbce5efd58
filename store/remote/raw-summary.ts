/**
 * The summary of one sealed raw file: what a replay server's catalog needs from it without
 * reading it (replay/catalog.ts catalogOf). Written next to the file in the bucket at upload and at
 * compaction (`.<file>.summary.json`, summaries.ts), computed here from the local file:
 *
 *   streams   per exchange and stream: first and last receive time and count of incoming frames
 *   edges     the payloads of the text data frames at each stream's first and last incoming time
 *             (the frames the exchange modules read instrument ids from)
 *   gaps      the payload text of every gap event
 *
 * Merging the summaries of a day's (or a range's) files gives what one read of all of them gives.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TicktapeError } from '../../core/errors.js';
import { FLAG_MALFORMED } from '../../schemas/record.js';
import { sqlStr } from '../partitions.js';
import { SLOT_COLUMNS } from '../template/format.js';
import { payloadExpr, TEMPLATE_EMPTY_TABLE } from '../template/index.js';

const SUMMARY_FORMAT = 'ticktape.raw-summary';
const SUMMARY_VERSION = 1;

interface SummaryStream {
  exchange: string;
  stream: string;
  /** Decimal ns. */
  firstNs: string;
  lastNs: string;
  frames: number;
}

interface SummaryEdge {
  exchange: string;
  stream: string;
  recvNs: string;
  /** Base64. */
  payload: string;
}

export interface RawSummary {
  format: typeof SUMMARY_FORMAT;
  version: number;
  /** The file it summarizes, and its SHA-256. */
  name: string;
  sha256: string;
  streams: SummaryStream[];
  edges: SummaryEdge[];
  gaps: Array<{ exchange: string; text: string }>;
}

/**
 * Candidates kept per stream for each edge (the frames at the first and at the last incoming time).
 * More frames than this at one edge time (never seen in practice) are read by a second, targeted
 * query for that stream only.
 */
const EDGE_CANDIDATES = 32;

const STORAGE_ROW = `{r: recv_ns, c: conn_id, s: seq, k: kind, fl: flags, payload: payload, tpl: tpl, pre: pre, rest: rest, ${SLOT_COLUMNS.map((c) => `${c}: ${c}`).join(', ')}}`;
const EDGE_OUT = `{r: x.r::VARCHAR, c: x.c, s: x.s::VARCHAR, ok: x.k = 'text' AND (x.fl & ${FLAG_MALFORMED}) = 0, p: CASE WHEN x.k = 'text' AND (x.fl & ${FLAG_MALFORMED}) = 0 THEN to_base64(tt_payload(x.payload, x.tpl, x.pre, x.rest, ${SLOT_COLUMNS.map((c) => `x.${c}`).join(', ')})) END}`;

interface EdgeOut {
  r: string;
  c: string;
  s: string;
  ok: boolean;
  p: string | null;
}

function fileSource(file: string): string {
  return `(SELECT * FROM read_parquet(${sqlStr(file)}, hive_partitioning = true, hive_types = {'exchange': VARCHAR, 'date': DATE}, union_by_name = true) UNION ALL BY NAME SELECT * FROM ${TEMPLATE_EMPTY_TABLE})`;
}

/**
 * The summary of a local raw parquet file (in its hive folder, so the exchange comes from the path),
 * in one scan of the file: per exchange and stream one aggregate row holds the counts and times, the
 * stored (templated) rows of the few earliest and latest incoming frames, and the gap events; only
 * those rows' payloads are rebuilt.
 */
export async function summarizeRawFile(conn: DuckDBConnection, file: string, name: string, sha256: string): Promise<RawSummary> {
  const gapRow = `CASE WHEN direction = 'event' AND kind = 'gap' THEN {r: recv_ns, c: conn_id, s: seq, t: TRY(decode(${payloadExpr()}))} END`;
  const r = await conn.runAndReadAll(
    `SELECT exchange, stream, frames, f::VARCHAR, l::VARCHAR,
       to_json(list_transform(list_sort(firsts), x -> ${EDGE_OUT}))::VARCHAR,
       to_json(list_transform(list_sort(lasts), x -> ${EDGE_OUT}))::VARCHAR,
       to_json(list_transform(list_sort(gaps), x -> {r: x.r::VARCHAR, c: x.c, s: x.s::VARCHAR, t: x.t}))::VARCHAR
     FROM (
       SELECT exchange, stream,
         count(*) FILTER (WHERE direction = 'in')::INTEGER AS frames,
         min(recv_ns) FILTER (WHERE direction = 'in') AS f,
         max(recv_ns) FILTER (WHERE direction = 'in') AS l,
         arg_min(${STORAGE_ROW}, recv_ns, ${EDGE_CANDIDATES}) FILTER (WHERE direction = 'in') AS firsts,
         arg_max(${STORAGE_ROW}, recv_ns, ${EDGE_CANDIDATES}) FILTER (WHERE direction = 'in') AS lasts,
         list(${gapRow}) FILTER (WHERE direction = 'event' AND kind = 'gap') AS gaps
       FROM ${fileSource(file)}
       GROUP BY exchange, stream
     )
     ORDER BY exchange, stream`,
  );
  const streams: SummaryStream[] = [];
  const edges: Array<SummaryEdge & { c: string; s: bigint }> = [];
  const gapRows: Array<{ exchange: string; r: bigint; c: string; s: bigint; text: string }> = [];
  for (const [ex, stream, frames, f, l, firstsJson, lastsJson, gapsJson] of r.getRows() as [string | null, string | null, number, string | null, string | null, string | null, string | null, string | null][]) {
    const exchange = ex ?? '';
    for (const g of (gapsJson ? JSON.parse(gapsJson) : []) as Array<{ r: string; c: string; s: string; t: string | null }>) {
      if (g.t !== null) gapRows.push({ exchange, r: BigInt(g.r), c: g.c, s: BigInt(g.s), text: g.t });
    }
    if (frames === 0 || f === null || l === null) continue;
    streams.push({ exchange, stream: stream as string, firstNs: f, lastNs: l, frames });
    if (stream === null || stream === '') continue;
    // Edges: the candidates at each edge time, unless every candidate kept shares it (there may be more).
    const firsts = (firstsJson ? JSON.parse(firstsJson) : []) as EdgeOut[];
    const lasts = (lastsJson ? JSON.parse(lastsJson) : []) as EdgeOut[];
    const atF = firsts.filter((x) => x.r === f);
    const atL = lasts.filter((x) => x.r === l);
    let at: EdgeOut[];
    if (atF.length >= EDGE_CANDIDATES || atL.length >= EDGE_CANDIDATES) at = await edgeRows(conn, file, ex, stream, f, l);
    else {
      const byId = new Map<string, EdgeOut>();
      for (const x of [...atF, ...atL]) byId.set(`${x.c}\0${x.s}`, x);
      at = [...byId.values()];
    }
    for (const x of at) if (x.ok && x.p !== null) edges.push({ exchange, stream, recvNs: x.r, payload: x.p, c: x.c, s: BigInt(x.s) });
  }
  edges.sort((a, b) => cmp(a.exchange, b.exchange) || cmp(a.stream, b.stream) || cmpBig(BigInt(a.recvNs), BigInt(b.recvNs)) || cmp(a.c, b.c) || cmpBig(a.s, b.s));
  gapRows.sort((a, b) => cmpBig(a.r, b.r) || cmp(a.c, b.c) || cmpBig(a.s, b.s));
  return {
    format: SUMMARY_FORMAT,
    version: SUMMARY_VERSION,
    name,
    sha256,
    streams,
    edges: edges.map(({ exchange, stream, recvNs, payload }) => ({ exchange, stream, recvNs, payload })),
    gaps: gapRows.map(({ exchange, text }) => ({ exchange, text })),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every incoming frame of one stream at its first or last time (the rare case of more than EDGE_CANDIDATES at one time). */
async function edgeRows(conn: DuckDBConnection, file: string, exchange: string | null, stream: string, f: string, l: string): Promise<EdgeOut[]> {
  const ex = exchange === null ? 'exchange IS NULL' : `exchange = ${sqlStr(exchange)}`;
  const r = await conn.runAndReadAll(
    `SELECT to_json(list_transform(list_sort(list(${STORAGE_ROW})), x -> ${EDGE_OUT}))::VARCHAR FROM ${fileSource(file)}
     WHERE direction = 'in' AND ${ex} AND stream = ${sqlStr(stream)} AND recv_ns IN (${BigInt(f)}, ${BigInt(l)})`,
  );
  const text = r.getRows()[0]?.[0] as string | null;
  return text ? (JSON.parse(text) as EdgeOut[]) : [];
}

/** A summary object's text read back (null when it is not one this ticktape reads: the caller falls back to the file). */
export function parseRawSummary(text: string, name: string, sha256: string): RawSummary | null {
  let s: RawSummary;
  try {
    s = JSON.parse(text) as RawSummary;
  } catch {
    return null;
  }
  if (s?.format !== SUMMARY_FORMAT || s.version > SUMMARY_VERSION || !Array.isArray(s.streams) || !Array.isArray(s.edges) || !Array.isArray(s.gaps)) return null;
  // A summary of other bytes (a name reused after a delete) is not this file's.
  if (s.name !== name || s.sha256 !== sha256) return null;
  return s;
}

export function summaryText(s: RawSummary): string {
  if (s.format !== SUMMARY_FORMAT) throw new TicktapeError('TT_INTERNAL', `not a raw summary: ${s.name}`);
  return JSON.stringify(s);
}
