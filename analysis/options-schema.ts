/**
 * Options of `ticktape analyze`, `report` and `query` (and of the library calls that do the same),
 * validated once here: the exchange is one of the four (TT_UNKNOWN_EXCHANGE), times are read and the
 * range is not reversed (TT_BAD_TIME), the interval is a positive fixed length, formats are named.
 */
import { z } from 'zod';
import { writableDataFolder } from '../store/open-data.js';
import { isStoreUrl } from '../store/remote/store-url.js';
import { parseIntervalArg } from '../core/interval-arg.js';
import { boolField, choiceField, numberField, textField, timeField } from '../core/option-fields.js';
import { parseOptions, type OptionNaming } from '../core/parse-options.js';
import { EXCHANGE_IDS, type ExchangeId } from '../exchanges/types.js';
import { OUTPUT_FORMATS } from '../store/duck/index.js';
import { DEFAULT_INTERVAL } from './scripts.js';
import type { MarketFilter } from './filter.js';

const exchangeField = () => choiceField(EXCHANGE_IDS, 'TT_UNKNOWN_EXCHANGE');

const intervalField = () =>
  z.unknown().transform((v, ctx) => {
    try {
      return parseIntervalArg(String(v), '').sql;
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message.replace(/^ "/, '"') });
      return z.NEVER;
    }
  });

function reversed(o: { from?: bigint; to?: bigint }, ctx: z.RefinementCtx): void {
  if (o.from !== undefined && o.to !== undefined && o.from >= o.to) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['to'], message: 'must be after {{from}}: the range is empty or reversed', params: { code: 'TT_BAD_TIME' } });
  }
}

const common = {
  /** A data folder, or s3://bucket/prefix (read through the local cache). */
  data: textField().optional(),
  /** With s3:// data: bound of the local cache, GB. */
  cacheGb: numberField({ min: 0, exclusiveMin: true, unit: 'GB' }).optional(),
  /** With s3:// data: a config file whose `store` section gives endpoint, region and forcePathStyle. */
  config: textField().optional(),
  /** Include the unsealed journals (default true; `--no-journal` leaves them out). */
  journal: boolField().default(true),
};

const analyzeOptionsSchema = z
  .object({
    ...common,
    list: boolField().optional(),
    exchange: exchangeField().optional(),
    symbol: textField().optional(),
    from: timeField().optional(),
    to: timeField().optional(),
    interval: intervalField().default(DEFAULT_INTERVAL),
    format: choiceField([...OUTPUT_FORMATS, 'parquet'] as const).optional(),
    out: textField().optional(),
  })
  .strict()
  .superRefine(reversed)
  .superRefine((o, ctx) => {
    if (o.format === 'parquet' && !o.out) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['format'], message: 'parquet writes a file: add {{out}} result.parquet' });
  });

const reportOptionsSchema = z
  .object({
    ...common,
    out: textField().default('report.html'),
    exchange: exchangeField().optional(),
    symbol: textField().optional(),
    /** A paper session's results folder: the paper report instead. */
    paper: textField().optional(),
  })
  .strict();

/** Text formats, plus Arrow (an IPC stream) and Parquet (a file, with --out). */
export const QUERY_FORMATS = [...OUTPUT_FORMATS, 'arrow', 'parquet'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

const queryOptionsSchema = z
  .object({
    ...common,
    format: choiceField(QUERY_FORMATS).optional(),
    /** Write the result to this file instead of stdout. */
    out: textField().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.format === 'parquet' && !o.out) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['format'], message: 'parquet writes a file: add {{out}} result.parquet' });
  });

/** Where the data is: `--data` as given (a folder or s3://…) and how to read a bucket. */
interface DataArg {
  /** A resolved local folder, or the s3:// URL as given. */
  data: string;
  cacheGb?: number;
  config?: string;
}

function dataArg(o: { data?: string; cacheGb?: number; config?: string }): DataArg {
  const data = o.data && isStoreUrl(o.data) ? o.data : writableDataFolder(o.data);
  return { data, ...(o.cacheGb !== undefined ? { cacheGb: o.cacheGb } : {}), ...(o.config !== undefined ? { config: o.config } : {}) };
}

interface AnalyzeOptions {
  source: DataArg;
  includeJournal: boolean;
  filter: MarketFilter;
  /** For DuckDB (`CAST(... AS INTERVAL)`). */
  interval: string;
  format: 'table' | 'csv' | 'json' | 'parquet' | null;
  out: string | null;
}

export function parseAnalyzeOptions(input: z.input<typeof analyzeOptionsSchema> | Record<string, unknown>, naming: OptionNaming = 'option'): AnalyzeOptions {
  const o = parseOptions(analyzeOptionsSchema, input, naming);
  return {
    source: dataArg(o),
    includeJournal: o.journal,
    filter: { exchange: (o.exchange as ExchangeId | undefined) ?? null, symbol: o.symbol ?? null, fromNs: o.from ?? null, toNs: o.to ?? null },
    interval: o.interval,
    format: o.format ?? null,
    out: o.out ?? null,
  };
}

interface ReportOptions {
  source: DataArg;
  includeJournal: boolean;
  out: string;
  filter: MarketFilter;
  paper: string | null;
}

export function parseReportOptions(input: z.input<typeof reportOptionsSchema> | Record<string, unknown>, naming: OptionNaming = 'option'): ReportOptions {
  const o = parseOptions(reportOptionsSchema, input, naming);
  return {
    source: dataArg(o),
    includeJournal: o.journal,
    out: o.out,
    filter: { exchange: (o.exchange as ExchangeId | undefined) ?? null, symbol: o.symbol ?? null, fromNs: null, toNs: null },
    paper: o.paper ?? null,
  };
}

interface QueryOptions {
  source: DataArg;
  includeJournal: boolean;
  format: QueryFormat | null;
  out: string | null;
}

export function parseQueryOptions(input: z.input<typeof queryOptionsSchema> | Record<string, unknown>, naming: OptionNaming = 'option'): QueryOptions {
  const o = parseOptions(queryOptionsSchema, input, naming);
  return { source: dataArg(o), includeJournal: o.journal, format: o.format ?? null, out: o.out ?? null };
}
