/**
 * The paper-trading configuration (`ticktape replay --paper --paper-config paper.yaml`): starting
 * balances per exchange and currency (per session where a session needs its own), fees per
 * exchange, the latency model and the matching model. Every default is here, in one place; a file
 * is validated field by field and a wrong field is named (TT_CONFIG_INVALID).
 *
 * Fee defaults come from the documents' own fields (ASSUMPTION where a document has none):
 *  - Coinstore: the order push's `actualFeeRate` "0.002" and the fills' `acturalFeeRate` 0.002, for
 *    maker and taker; the fee is charged in the currency received (the order-info example of a BUY
 *    names the base currency, `feeCurrency: "LUFFY"`);
 *  - Coinceres: the biz_type 17 example charges commission 0.046 on a dealt amount of 46 (0.1 %),
 *    in the quote currency (`commission_currency: "BTC"` for ADA_BTC);
 *  - Nexus: the API_ORDER example's `commission` is "0" (commission currency the quote, USDT);
 *  - Coinsuper: no rate is documented — ASSUMPTION 0, in the quote currency.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { isDecimal, signDecimal } from '../../core/decimal.js';
import { TicktapeError } from '../../core/errors.js';
import { EXCHANGE_IDS, type ExchangeId } from '../../exchanges/types.js';
import type { QueueModel, RestingFills } from './types.js';

/** Where the fee of a fill is charged: always the quote currency, or the currency the fill pays out (base on buys, quote on sells). */
type FeeCurrency = 'quote' | 'received';

export interface FeeSchedule {
  maker: string;
  taker: string;
  currency: FeeCurrency;
}

export const DEFAULT_FEES: Record<ExchangeId, FeeSchedule> = {
  coinstore: { maker: '0.002', taker: '0.002', currency: 'received' },
  coinceres: { maker: '0.001', taker: '0.001', currency: 'quote' },
  nexus: { maker: '0', taker: '0', currency: 'quote' },
  coinsuper: { maker: '0', taker: '0', currency: 'quote' },
};

/** The longest order-in or fill-out delay a config may ask for (a minute of replay time). */
const MAX_LATENCY_MS = 60_000;

export interface Latency {
  /** From a request reaching the exchange to the matching engine acting on it, recorded ns. */
  inNs: bigint;
  /** From the matching engine acting to its answer or push reaching the bot, recorded ns. */
  outNs: bigint;
}

/** Per-session resolution of everything a paper account needs. */
export interface PaperSettings {
  /** Starting balances of `session` on `exchange`, or null for the demo account's. */
  balancesFor(session: string, exchange: ExchangeId): Record<string, string> | null;
  fees(exchange: ExchangeId): FeeSchedule;
  latency(exchange: ExchangeId): Latency;
  queue: QueueModel;
  /** `auto`: `trades` where the recording has trades for the market, else `book`. */
  restingFills: RestingFills | 'auto';
  /** The resolved document, for the results' manifest. */
  describe(): unknown;
}

const decimalText = z
  .union([z.string(), z.number()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((v) => isDecimal(v) && !/e/i.test(v), 'must be a decimal number like "1000" or "0.5"')
  .refine((v) => !isDecimal(v) || signDecimal(v) >= 0, 'must not be negative');

const currencyName = z.string().regex(/^[A-Za-z0-9]{1,20}$/, 'a currency is 1-20 letters or digits');
const balanceSet = z.record(currencyName, decimalText);
const perExchange = <T extends z.ZodTypeAny>(t: T) => z.object(Object.fromEntries(EXCHANGE_IDS.map((id) => [id, t.optional()])) as Record<ExchangeId, z.ZodOptional<T>>).strict();

const feeSchema = z
  .object({
    maker: decimalText.refine((v) => !isDecimal(v) || Number(v) < 1, 'a fee rate is a fraction below 1 (0.001 = 0.1 %)'),
    taker: decimalText.refine((v) => !isDecimal(v) || Number(v) < 1, 'a fee rate is a fraction below 1 (0.001 = 0.1 %)'),
    currency: z.enum(['quote', 'received']).optional(),
  })
  .strict();

const ms = z.number().nonnegative().max(MAX_LATENCY_MS, `at most ${MAX_LATENCY_MS} ms`);
const latencySchema = z.object({ inMs: ms.optional(), outMs: ms.optional() }).strict();

const paperConfigSchema = z
  .object({
    /** Starting balances per exchange and currency; an exchange left out gets the demo account's. */
    balances: perExchange(balanceSet).optional(),
    /** Per-session starting balances (`?session=<id>`), over `balances`. */
    sessions: z.record(z.string().regex(/^[\w.-]{1,64}$/, 'a session id is 1-64 letters, digits, "_", "-" or "."'), z.object({ balances: perExchange(balanceSet).optional() }).strict()).optional(),
    /** Fee rates per exchange (fractions: 0.001 = 0.1 %). */
    fees: perExchange(feeSchema).optional(),
    /** Delays in replay time: fixed for every exchange, overridden per exchange. */
    latency: latencySchema
      .extend({ exchanges: perExchange(latencySchema).optional() })
      .strict()
      .optional(),
    matching: z
      .object({
        queue: z.enum(['position', 'touch']).optional(),
        restingFills: z.enum(['auto', 'trades', 'book']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

type PaperConfigFile = z.infer<typeof paperConfigSchema>;

function formatPath(p: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of p) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(top level)';
}

function configError(err: z.ZodError, source: string): TicktapeError {
  const lines = err.issues.map((i) => {
    const where = formatPath(i.path);
    if (i.code === 'unrecognized_keys') return `${where}: unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${where}: ${i.message}`;
  });
  return new TicktapeError('TT_CONFIG_INVALID', `Invalid paper-trading configuration in ${source}:\n  ${lines.join('\n  ')}\nFix the field(s) above (see deploy/paper.sample.yaml).`, { issues: lines });
}

/** Validates a parsed document (`source` names it in errors). */
export function parsePaperConfig(doc: unknown, source = 'the paper config'): PaperConfigFile {
  const parsed = paperConfigSchema.safeParse(doc ?? {});
  if (!parsed.success) throw configError(parsed.error, source);
  return parsed.data;
}

/** Reads and validates a paper config file (JSON by extension, else YAML). */
export function loadPaperConfig(file: string): PaperConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new TicktapeError('TT_CONFIG_UNREADABLE', `Cannot read paper config ${file}: ${(err as Error).message}. Check the path given to --paper-config.`, { file }, { cause: err });
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new TicktapeError('TT_CONFIG_INVALID', `Paper config ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { file });
  }
  return parsePaperConfig(doc, file);
}

const msToNs = (v: number | undefined): bigint => BigInt(Math.round((v ?? 0) * 1_000_000));

/** The settings a config document gives (an empty document: demo balances, documented fees, no latency, queue position). */
export function paperSettings(file: PaperConfigFile = {}): PaperSettings {
  const upper = (b: Record<string, string> | undefined) => (b ? Object.fromEntries(Object.entries(b).map(([c, v]) => [c.toUpperCase(), v])) : undefined);
  return {
    balancesFor(session, exchange) {
      return upper(file.sessions?.[session]?.balances?.[exchange]) ?? upper(file.balances?.[exchange]) ?? null;
    },
    fees(exchange) {
      const f = file.fees?.[exchange];
      const d = DEFAULT_FEES[exchange];
      return f ? { maker: f.maker, taker: f.taker, currency: f.currency ?? d.currency } : d;
    },
    latency(exchange) {
      const l = file.latency;
      const x = l?.exchanges?.[exchange];
      return { inNs: msToNs(x?.inMs ?? l?.inMs), outNs: msToNs(x?.outMs ?? l?.outMs) };
    },
    queue: file.matching?.queue ?? 'position',
    restingFills: file.matching?.restingFills ?? 'auto',
    describe() {
      return {
        balances: file.balances ?? null,
        sessions: file.sessions ?? null,
        fees: Object.fromEntries(EXCHANGE_IDS.map((x) => [x, this.fees(x)])),
        latency: Object.fromEntries(EXCHANGE_IDS.map((x) => [x, { inMs: Number(this.latency(x).inNs) / 1e6, outMs: Number(this.latency(x).outNs) / 1e6 }])),
        queue: this.queue,
        restingFills: this.restingFills,
      };
    },
  };
}
