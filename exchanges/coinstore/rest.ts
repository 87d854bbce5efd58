/**
 * Coinstore's REST trading API (the endpoints trading bots call), answered from a trading account:
 * the paths after the document's base URL `https://api.coinstore.com/api`, so a bot changes only
 * that base URL. Sources: coinstore_en_2022.md (Account Related, Order Related) and the 2024
 * document (seed 002: v2 order queries, cancel by client order ids, error codes).
 *
 *   POST /spot/accountList             balances (AVAILABLE and FROZEN entries per currency)
 *   POST /trade/order/place            new order            POST /trade/order/placeBatch
 *   POST /trade/order/cancel           by ordId (or clientOrderIds)   POST /trade/order/cancelBatch
 *   POST /trade/order/cancelAll        every open order (of a symbol)
 *   GET  /trade/order/active           open orders          GET /v2/trade/order/active
 *   GET  /trade/order/orderInfo        one order            GET /v2/trade/order/orderInfo
 *   GET  /trade/match/accountMatches   fills of a symbol
 *
 * Every request is signed: `X-CS-APIKEY`, `X-CS-EXPIRES` (13-digit ms) and `X-CS-SIGN` =
 * hex(HMAC-SHA256(hex(HMAC-SHA256(secret, floor(expires / 30000))), query + body)). With auth
 * `strict` the sign must verify against a configured credential's `secret`; with `any` a
 * well-formed one is accepted unchecked. ASSUMPTION: the expiry is not compared with a clock (a
 * replay runs on recorded time while the bot signs with its own).
 *
 * Replies: `{"code":0,"data":…}` (the place-order example spells the code "0"); failures are HTTP
 * 200 with the document's failure shape `{"code":<n>,"msg":"<name>","data":null}` and its codes —
 * 3011 symbol not found, 3113 account-insufficient, 3103 order-not-found, 3111 duplicate-order,
 * 101040502 request field missing — and the signature failures of its table with HTTP 401
 * (401 signature-failed: unknown API key, 1401 unauthorized: the sign does not verify, 3005
 * signature error: a malformed sign).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isDecimal, signDecimal } from '../../core/decimal.js';
import { matchInstrument, type FillEvent, type Instrument, type OrderEvent } from '../market.js';
import type { OrderResult, RejectCode, TradingAccount } from '../trading.js';
import type { AuthMode, Credentials } from '../types.js';
import { currencies, symbolOf } from './channels.js';
import { decMul, decSub } from './decimal.js';
import { SIM_ACCOUNT_ID } from './format.js';
import { parseJsonLossless, JsonNumber, type JsonValue } from '../coinsuper/json-lossless.js';

/** Where the API is served on the simulator / replay port: the document's paths come after it. */
export const REST_PREFIX = '/coinstore/api';
/** `size`/`pageSize` default of accountMatches (the 2022 document). */
const DEFAULT_MATCHES_PAGE = 20;
const MAX_MATCHES_PAGE = 1000;
/** Orders in one placeBatch / cancelBatch: ASSUMPTION, the document gives no limit. */
const MAX_BATCH_ORDERS = 50;

const REST_ERRORS = {
  signatureFailed: { http: 401, code: 401, msg: 'signature-failed' },
  unauthorized: { http: 401, code: 1401, msg: 'unauthorized' },
  signatureError: { http: 401, code: 3005, msg: 'signature error' },
  symbolNotFound: { http: 200, code: 3011, msg: 'symbol not found' },
  duplicateOrder: { http: 200, code: 3111, msg: 'duplicate-order' },
  accountInsufficient: { http: 200, code: 3113, msg: 'account-insufficient' },
  orderNotFound: { http: 200, code: 3103, msg: 'order-not-found' },
  fieldMissing: { http: 200, code: 101040502, msg: 'request field missing' },
  badRequest: { http: 400, code: 400, msg: 'Bad Request' },
  notFound: { http: 404, code: 404, msg: 'service not found' },
} as const;
type RestError = (typeof REST_ERRORS)[keyof typeof REST_ERRORS];

const REFUSALS: Record<RejectCode, RestError> = {
  bad_request: REST_ERRORS.fieldMissing,
  bad_symbol: REST_ERRORS.symbolNotFound,
  insufficient_balance: REST_ERRORS.accountInsufficient,
  unknown_order: REST_ERRORS.orderNotFound,
  order_closed: REST_ERRORS.orderNotFound,
  duplicate_order: REST_ERRORS.duplicateOrder,
};

export interface RestRequest {
  method: string;
  /** The path after REST_PREFIX, e.g. `/trade/order/place`. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  body: string;
  headers: IncomingHttpHeaders;
}

interface RestReply {
  status: number;
  body: unknown;
}

interface RestContext {
  instruments: readonly Instrument[];
  credentials: readonly Credentials[];
  authMode: AuthMode;
  /** Told of every request accepted without a check (`any`). */
  acceptedUnchecked?(what: string): void;
  /** The account the request's API key trades with; null refuses it (as an unknown key). */
  account(apiKey: string): TradingAccount | null;
}

/** The document's signature (two HMAC-SHA256 steps, hex). */
export function restSign(secret: string, expires: string, payload: string): string {
  const key = createHmac('sha256', secret)
    .update(String(Math.floor(Number(expires) / 30000)))
    .digest('hex');
  return createHmac('sha256', key).update(payload).digest('hex');
}

const fail = (e: RestError, detail?: string): RestReply => ({ status: e.http, body: { code: e.code, msg: e.msg, data: null, ...(detail ? { message: detail } : {}) } });
const ok = (data: unknown, code: 0 | '0' = 0): RestReply => ({ status: 200, body: data === undefined ? { code } : { code, data } });

function header(h: IncomingHttpHeaders, name: string): string | null {
  const v = h[name.toLowerCase()];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The API key of a correctly signed request, or the failure to answer with. */
export function checkRestAuth(req: RestRequest, ctx: Pick<RestContext, 'credentials' | 'authMode' | 'acceptedUnchecked'>): { ok: true; apiKey: string } | { ok: false; reply: RestReply } {
  const apiKey = header(req.headers, 'X-CS-APIKEY');
  const expires = header(req.headers, 'X-CS-EXPIRES');
  const sign = header(req.headers, 'X-CS-SIGN');
  if (!apiKey) return { ok: false, reply: fail(REST_ERRORS.signatureFailed, 'X-CS-APIKEY header missing') };
  if (!expires || !/^\d{13}$/.test(expires) || !sign || !/^[0-9a-fA-F]{64}$/.test(sign)) {
    return { ok: false, reply: fail(REST_ERRORS.signatureError, 'X-CS-EXPIRES must be a 13-digit ms timestamp and X-CS-SIGN a 64-digit hex HMAC-SHA256') };
  }
  if (ctx.authMode === 'any') {
    ctx.acceptedUnchecked?.(`coinstore REST api key ${apiKey}`);
    return { ok: true, apiKey };
  }
  const creds = ctx.credentials.filter((c) => c.apiKey === apiKey);
  if (creds.length === 0) return { ok: false, reply: fail(REST_ERRORS.signatureFailed, 'api key not recognised') };
  const payload = req.query + req.body;
  const good = creds.some((c) => typeof c.secret === 'string' && sameText(restSign(c.secret, expires, payload), sign.toLowerCase()));
  return good ? { ok: true, apiKey } : { ok: false, reply: fail(REST_ERRORS.unauthorized, 'the sign does not verify (payload = query string + body, unsorted)') };
}

// --- request fields ----------------------------------------------------------------------------

type Obj = { [key: string]: JsonValue };

/** A JSON number's text as a plain decimal (`9.2e-10` → `0.00000000092`). */
export function plainDecimal(text: string): string | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) return null;
  const [, sign, int, frac = '', exp = '0'] = m;
  const e = Number(exp);
  let digits = int + frac;
  let point = int.length + e;
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const head = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const tail = digits.slice(point).replace(/0+$/, '');
  return `${sign}${head}${tail ? `.${tail}` : ''}`;
}

/** A decimal field given as a JSON number or string. */
function decField(v: JsonValue | undefined): string | undefined {
  if (v instanceof JsonNumber) return plainDecimal(v.text) ?? undefined;
  if (typeof v === 'number') return plainDecimal(String(v)) ?? undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const p = plainDecimal(v);
    return p !== null && isDecimal(p) ? p : undefined;
  }
  return undefined;
}

function strField(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (v instanceof JsonNumber) return v.text;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function parseBody(body: string): Obj | null {
  if (body.trim() === '') return {};
  try {
    const v = parseJsonLossless(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber) ? (v as Obj) : null;
  } catch {
    return null;
  }
}

// --- replies -----------------------------------------------------------------------------------

const SIDE = { buy: 'BUY', sell: 'SELL' } as const;
const STATE: Record<OrderEvent['status'], string> = { new: 'SUBMITTED', partially_filled: 'PARTIAL_FILLED', filled: 'FILLED', canceled: 'CANCELED', rejected: 'REJECTED' };
/**
 * The numeric `orderState` of accountMatches: the document's one example is 50 on a filled order.
 * ASSUMPTION for the others (undocumented): 20 submitted, 30 partially filled, 60 canceled, 70 rejected.
 */
const STATE_CODE: Record<OrderEvent['status'], number> = { new: 20, partially_filled: 30, filled: 50, canceled: 60, rejected: 70 };

const idValue = (id: string): number | string => (/^\d{1,15}$/.test(id) ? Number(id) : id);
const isOpen = (o: OrderEvent) => o.status === 'new' || o.status === 'partially_filled';

/** An order as the order queries show it. */
function restOrder(o: OrderEvent, v2: boolean): Record<string, unknown> {
  const remaining = isOpen(o) ? decSub(o.amount, o.filledAmount) : '0';
  const out: Record<string, unknown> = {
    symbol: symbolOf(o.inst),
    baseCurrency: o.inst.base.toUpperCase(),
    quoteCurrency: o.inst.quote.toUpperCase(),
    timestamp: o.createdMs,
    side: SIDE[o.side],
    timeInForce: o.timeInForce ?? (o.orderType === 'limit' ? 'GTC' : 'IOC'),
    accountId: SIM_ACCOUNT_ID,
    ordPrice: o.price,
    cumAmt: o.filledQuote,
    cumQty: o.filledAmount,
    leavesQty: remaining,
    clOrdId: o.clientOrderId,
    ordAmt: o.orderType === 'limit' ? decMul(o.price, o.amount) : o.filledQuote,
    ordQty: o.amount,
    ordId: idValue(o.orderId),
    ordStatus: STATE[o.status],
    ordType: o.postOnly ? 'POST_ONLY' : o.orderType === 'limit' ? 'LIMIT' : 'MARKET',
  };
  if (v2) {
    out.avgPrice = o.avgPrice;
    out.orderUpdateTime = o.tsMs;
  }
  return out;
}

/** orderInfo (v1): `ordState`, `avgPrice` and `feeCurrency` (the currency received: base on buys). */
function orderInfo(o: OrderEvent): Record<string, unknown> {
  const { ordStatus, ...rest } = restOrder(o, false);
  return { ...rest, ordState: ordStatus, avgPrice: o.avgPrice, feeCurrency: o.side === 'buy' ? o.inst.base.toUpperCase() : o.inst.quote.toUpperCase() };
}

function match(f: FillEvent, order: OrderEvent | undefined, instruments: readonly Instrument[]): Record<string, unknown> {
  const curs = currencies(instruments);
  const curId = (c: string) => curs.indexOf(c.toUpperCase()) + 1;
  const role = f.liquidity === 'taker' ? 1 : -1;
  return {
    id: idValue(f.fillId),
    remainingQty: order && isOpen(order) ? decSub(order.amount, order.filledAmount) : '0',
    matchRole: role,
    feeCurrencyId: curId(f.feeCurrency),
    acturalFeeRate: f.feeRate ?? null, // sic: the document's spelling
    role,
    accountId: SIM_ACCOUNT_ID,
    instrumentId: f.inst.id,
    baseCurrencyId: curId(f.inst.base),
    quoteCurrencyId: curId(f.inst.quote),
    execQty: f.amount,
    orderState: order ? STATE_CODE[order.status] : null,
    matchId: idValue(f.fillId),
    orderId: idValue(f.orderId),
    side: f.side === 'buy' ? 1 : -1,
    execAmt: decMul(f.price, f.amount),
    selfDealingQty: '0',
    tradeId: idValue(f.fillId),
    fee: f.fee,
    matchTime: Math.floor(f.tsMs / 1000),
    seq: null,
  };
}

// --- the API -----------------------------------------------------------------------------------

const refused = (r: Extract<OrderResult, { ok: false }>): RestReply => fail(REFUSALS[r.code], r.message);

async function placeOne(trading: TradingAccount, inst: Instrument, o: Obj): Promise<OrderResult | { ok: false; missing: string }> {
  const side = strField(o.side)?.toUpperCase();
  const type = strField(o.ordType)?.toUpperCase();
  const tif = (strField(o.timeInForce) ?? 'GTC').toUpperCase();
  if (side !== 'BUY' && side !== 'SELL') return { ok: false, missing: 'side must be BUY or SELL' };
  if (type !== 'LIMIT' && type !== 'MARKET' && type !== 'POST_ONLY') return { ok: false, missing: 'ordType must be MARKET, LIMIT or POST_ONLY' };
  if (tif !== 'GTC' && tif !== 'IOC' && tif !== 'FOK') return { ok: false, missing: 'timeInForce must be GTC, IOC or FOK' };
  const price = decField(o.ordPrice);
  const qty = decField(o.ordQty);
  const amt = decField(o.ordAmt);
  const positive = (v: string | undefined) => v !== undefined && signDecimal(v) > 0;
  if (type !== 'MARKET' && (!positive(price) || !positive(qty))) return { ok: false, missing: 'a limit order needs ordPrice and ordQty' };
  if (type === 'MARKET' && side === 'SELL' && !positive(qty)) return { ok: false, missing: 'a market sell needs ordQty' };
  if (type === 'MARKET' && side === 'BUY' && !positive(amt)) return { ok: false, missing: 'a market buy needs ordAmt' };
  return trading.placeOrder({
    inst,
    side: side === 'BUY' ? 'buy' : 'sell',
    orderType: type === 'MARKET' ? 'market' : 'limit',
    price: type === 'MARKET' ? undefined : price,
    amount: type === 'MARKET' && side === 'BUY' ? undefined : qty,
    quoteAmount: type === 'MARKET' && side === 'BUY' ? amt : undefined,
    timeInForce: type === 'MARKET' ? 'IOC' : tif,
    postOnly: type === 'POST_ONLY',
    clientOrderId: strField(o.clOrdId),
  });
}

/** Answers one REST request (after checking its signature). */
/** The public symbol list's path (seed 002 "现货币种币对信息", `https://api.coinstore.com/api/v2/public/config/spot/symbols`). */
export const SYMBOLS_PATH = '/v2/public/config/spot/symbols';

/** A decimal string of one unit in the last of `decimals` places (`4` → `0.0001`). */
const unitOf = (decimals: number): string => (decimals <= 0 ? '1' : `0.${'0'.repeat(decimals - 1)}1`);

/**
 * Public market-data endpoints, answered whether or not the server trades: today the symbol list,
 * where a bot reads the instrument ids it subscribes with (`4@depth@20`; protocols.md §1.5: "ids
 * come from REST … symbolId"). Null for any other path. Fields and shape are the seed's. The
 * filters `symbolCodes` / `symbolIds` of the body select the symbols either names (ASSUMPTION: their
 * union — the seed's request example gives a code and an id of two different pairs); none: all.
 * ASSUMPTION: no signature is required (a public path; a signed request, as the document's Python
 * example sends, is accepted without a check); GET is accepted like POST; `onLineTime` 0 (the server
 * does not know when a pair was listed); `minLmtPr`/`minLmtSz`/`minMktSz`/`minMktVa` one unit of
 * the price and amount precision; the fees are the server's own (the simulator's account, the
 * replay's paper fees).
 */
export function answerPublicRest(req: RestRequest, instruments: readonly Instrument[], fees: { maker: string; taker: string }): RestReply | null {
  const method = req.method.toUpperCase();
  if (req.path.replace(/\/+$/, '') !== SYMBOLS_PATH || (method !== 'POST' && method !== 'GET')) return null;
  const body = method === 'POST' ? parseBody(req.body) : {};
  if (body === null) return fail(REST_ERRORS.badRequest, 'the body is not a JSON object');
  const codes = body.symbolCodes;
  const ids = body.symbolIds;
  if ((codes !== undefined && codes !== null && !Array.isArray(codes)) || (ids !== undefined && ids !== null && !Array.isArray(ids))) {
    return fail(REST_ERRORS.fieldMissing, 'symbolCodes and symbolIds are arrays, e.g. {"symbolCodes":["BTCUSDT"],"symbolIds":[10]}');
  }
  const wantCodes = Array.isArray(codes) && codes.length > 0 ? new Set(codes.map((c) => String(strField(c) ?? '').toUpperCase())) : null;
  const wantIds = Array.isArray(ids) && ids.length > 0 ? new Set(ids.map((v) => String(strField(v) ?? ''))) : null;
  const data = instruments
    .filter((i) => (!wantCodes && !wantIds) || wantCodes?.has(symbolOf(i)) || wantIds?.has(String(i.id)))
    .map((i) => ({
      symbolId: i.id,
      symbolCode: symbolOf(i),
      tradeCurrencyCode: i.base.toLowerCase(),
      quoteCurrencyCode: i.quote.toLowerCase(),
      openTrade: true,
      onLineTime: 0,
      tickSz: i.priceDecimals,
      lotSz: i.amountDecimals,
      minLmtPr: unitOf(i.priceDecimals),
      minLmtSz: unitOf(i.amountDecimals),
      minMktVa: unitOf(i.priceDecimals),
      minMktSz: unitOf(i.amountDecimals),
      makerFee: fees.maker,
      takerFee: fees.taker,
    }));
  return { status: 200, body: { code: '0', message: 'Success', data } };
}

export async function answerRest(req: RestRequest, ctx: RestContext): Promise<RestReply> {
  const auth = checkRestAuth(req, ctx);
  if (!auth.ok) return auth.reply;
  const trading = ctx.account(auth.apiKey);
  if (!trading) return fail(REST_ERRORS.signatureFailed, 'this api key has no account here');
  const route = `${req.method.toUpperCase()} ${req.path.replace(/\/+$/, '')}`;
  const query = new URLSearchParams(req.query);
  const body = req.method.toUpperCase() === 'POST' ? parseBody(req.body) : {};
  if (body === null) return fail(REST_ERRORS.badRequest, 'the body is not a JSON object');
  const instOf = (v: JsonValue | string | null | undefined) => {
    const s = typeof v === 'string' ? v : strField(v ?? undefined);
    return s ? matchInstrument(ctx.instruments, s) : undefined;
  };

  switch (route) {
    case 'POST /spot/accountList': {
      const data = (await trading.balances()).flatMap((b) => [
        { uid: SIM_ACCOUNT_ID, accountId: SIM_ACCOUNT_ID, currency: b.currency.toUpperCase(), balance: b.available, type: 1, typeName: 'AVAILABLE' },
        { uid: SIM_ACCOUNT_ID, accountId: SIM_ACCOUNT_ID, currency: b.currency.toUpperCase(), balance: b.frozen, type: 4, typeName: 'FROZEN' },
      ]);
      return ok(data);
    }
    case 'POST /trade/order/place': {
      if (!strField(body.symbol)) return fail(REST_ERRORS.fieldMissing, 'symbol is required');
      const inst = instOf(body.symbol);
      if (!inst) return fail(REST_ERRORS.symbolNotFound, `no symbol ${strField(body.symbol)}`);
      const r = await placeOne(trading, inst, body);
      if (!r.ok) return 'missing' in r ? fail(REST_ERRORS.fieldMissing, r.missing) : refused(r);
      // the field table names `ordId`; the document's example shows `order_id`: both carry the id
      return ok({ ordId: idValue(r.order.orderId), clOrdId: r.order.clientOrderId, order_id: idValue(r.order.orderId) }, '0');
    }
    case 'POST /trade/order/placeBatch': {
      const inst = instOf(body.symbol);
      if (!strField(body.symbol) || !Array.isArray(body.orders)) return fail(REST_ERRORS.fieldMissing, 'symbol and orders are required');
      if (!inst) return fail(REST_ERRORS.symbolNotFound, `no symbol ${strField(body.symbol)}`);
      if (body.orders.length === 0 || body.orders.length > MAX_BATCH_ORDERS) return fail(REST_ERRORS.fieldMissing, `orders: 1 to ${MAX_BATCH_ORDERS}`);
      // every order of the batch reaches the account now, in order (each acts in turn)
      const orders = body.orders.map((o) => (o !== null && typeof o === 'object' && !Array.isArray(o) && !(o instanceof JsonNumber) ? (o as Obj) : {}));
      const placed = await Promise.all(orders.map((one) => placeOne(trading, inst, one)));
      const data = placed.map((r, i) => {
        if (r.ok) return { ordId: idValue(r.order.orderId), clOrdId: r.order.clientOrderId };
        const e = 'missing' in r ? REST_ERRORS.fieldMissing : REFUSALS[r.code];
        return { clOrdId: strField(orders[i].clOrdId) ?? null, errno: e.code, errMsg: 'missing' in r ? r.missing : r.message };
      });
      return ok(data);
    }
    case 'POST /trade/order/cancel': {
      if (Array.isArray(body.clientOrderIds)) {
        const success: string[] = [];
        const reject: string[] = [];
        for (const id of body.clientOrderIds.map((x) => strField(x)).filter((x): x is string => !!x)) {
          ((await trading.cancelOrder({ clientOrderId: id })).ok ? success : reject).push(id);
        }
        return ok({ success, ...(reject.length ? { reject } : {}) });
      }
      const id = strField(body.ordId ?? body.orderId);
      if (!id) return fail(REST_ERRORS.fieldMissing, 'ordId is required');
      const r = await trading.cancelOrder({ orderId: id });
      if (!r.ok) return refused(r);
      return ok({ clientOrderId: r.order.clientOrderId, state: STATE[r.order.status], ordId: idValue(r.order.orderId) });
    }
    case 'POST /trade/order/cancelBatch': {
      const ids = Array.isArray(body.orderIds) ? body.orderIds : Array.isArray(body.orderId) ? body.orderId : null;
      if (!ids) return fail(REST_ERRORS.fieldMissing, 'orderIds is required');
      const success: unknown[] = [];
      const reject: unknown[] = [];
      for (const x of ids) {
        const id = strField(x);
        if (!id) continue;
        ((await trading.cancelOrder({ orderId: id })).ok ? success : reject).push(idValue(id));
      }
      return ok({ success, reject });
    }
    case 'POST /trade/order/cancelAll': {
      const sym = strField(body.symbol);
      const inst = sym ? instOf(sym) : null;
      if (sym && !inst) return fail(REST_ERRORS.symbolNotFound, `no symbol ${sym}`);
      await trading.cancelAll(inst ?? null);
      return ok(undefined);
    }
    case 'GET /trade/order/active':
    case 'GET /v2/trade/order/active': {
      const v2 = route.includes('/v2/');
      const sym = query.get('symbol');
      const inst = sym ? instOf(sym) : null;
      if (sym && !inst) return fail(REST_ERRORS.symbolNotFound, `no symbol ${sym}`);
      let orders = await trading.openOrders();
      if (inst) orders = orders.filter((o) => o.inst.id === inst.id);
      if (v2 && query.get('ordId')) orders = orders.filter((o) => o.orderId === query.get('ordId'));
      if (v2 && query.get('clOrdId')) orders = orders.filter((o) => o.clientOrderId === query.get('clOrdId'));
      return ok(orders.map((o) => restOrder(o, v2)));
    }
    case 'GET /trade/order/orderInfo':
    case 'GET /v2/trade/order/orderInfo': {
      const ordId = query.get('ordId');
      const clOrdId = query.get('clOrdId');
      if (!ordId && !clOrdId) return fail(REST_ERRORS.fieldMissing, 'ordId is required');
      const o = await trading.order(ordId ? { orderId: ordId } : { clientOrderId: clOrdId! });
      if (!o) return fail(REST_ERRORS.orderNotFound, `no order ${ordId ?? clOrdId}`);
      return route.includes('/v2/') ? ok([restOrder(o, true)]) : ok(orderInfo(o));
    }
    case 'GET /trade/match/accountMatches': {
      const sym = query.get('symbol');
      if (!sym) return fail(REST_ERRORS.fieldMissing, 'symbol is required');
      const inst = instOf(sym);
      if (!inst) return fail(REST_ERRORS.symbolNotFound, `no symbol ${sym}`);
      const size = Number(query.get('pageSize') ?? query.get('size') ?? DEFAULT_MATCHES_PAGE);
      const page = Number(query.get('pageNum') ?? 1);
      if (!Number.isInteger(size) || size < 1 || size > MAX_MATCHES_PAGE || !Number.isInteger(page) || page < 1) {
        return fail(REST_ERRORS.fieldMissing, `size/pageSize 1-${MAX_MATCHES_PAGE}, pageNum from 1`);
      }
      const side = query.get('side');
      let fills = (await trading.fills(MAX_MATCHES_PAGE * 10)).filter((f) => f.inst.id === inst.id);
      if (query.get('ordId')) fills = fills.filter((f) => f.orderId === query.get('ordId'));
      if (side === '1' || side === '-1') fills = fills.filter((f) => (f.side === 'buy' ? '1' : '-1') === side);
      const orders = new Map((await trading.orders()).map((o) => [o.orderId, o]));
      return ok(fills.slice((page - 1) * size, page * size).map((f) => match(f, orders.get(f.orderId), ctx.instruments)));
    }
    default:
      return fail(REST_ERRORS.notFound, `no endpoint ${route}`);
  }
}
