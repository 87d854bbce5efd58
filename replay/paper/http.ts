/**
 * The HTTP side of paper trading on the replay port:
 *
 *   POST /paper/orders                      place an order: {session?, exchange, symbol, venue?, side, type,
 *                                           price?, amount?, quoteAmount?, timeInForce?, postOnly?, clientOrderId?}
 *   POST /paper/orders/cancel               {session?, exchange, orderId | clientOrderId}
 *   GET  /paper/sessions                    sessions with paper accounts
 *   GET  /paper/sessions/<id>               per exchange: balances, open orders, latest fills, positions
 *   POST /paper/sessions/<id>/results       write the session's results now (they are also written when it ends)
 *   ANY  /coinstore/api/…                   Coinstore's REST trading API (exchanges/coinstore/rest.ts)
 *
 * The control API is the order entry of exchanges whose documents name none ticktape can serve
 * (Coinsuper, Nexus) and works for every exchange. A request names its session with `session`
 * (body or `?session=`; for Coinstore REST the `X-Ticktape-Session` header or `?session=`), else it
 * trades on the default paper session, the one connections without a session id share.
 */
import type http from 'node:http';
import { z } from 'zod';
import type { Instrument, OrderEvent } from '../../exchanges/market.js';
import { answerRest, REST_PREFIX } from '../../exchanges/coinstore/rest.js';
import { EXCHANGE_IDS, type AuthMode, type Credentials, type ExchangeId } from '../../exchanges/types.js';
import { matchInstrument } from '../../exchanges/market.js';
import type { PaperDesk } from './desk.js';
import { DEFAULT_PAPER_SESSION } from './desk.js';

/** The largest request body the paper endpoints read. */
const MAX_PAPER_BODY_BYTES = 64 << 10;
const SESSION_RE = /^[\w-][\w.-]{0,63}$/;

interface PaperHttpDeps {
  desk: PaperDesk | null;
  instruments(exchange: ExchangeId): Instrument[];
  credentials(exchange: ExchangeId): Credentials[];
  authMode: AuthMode;
  acceptedUnchecked?(what: string): void;
  /** A request that trades on a session: its clock starts if nothing else started it (REST-only bots). */
  touch(session: string): void;
}

function json(res: http.ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  return true;
}

async function readBody(req: http.IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_PAPER_BODY_BYTES) return null;
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const decimal = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .refine((v) => /^\d+(\.\d+)?$/.test(v), 'a positive decimal like "0.5"');
const sessionField = z.string().regex(SESSION_RE, 'a session id is 1-64 letters, digits, "_", "-" or "."').optional();
const exchangeField = z.enum(EXCHANGE_IDS as [ExchangeId, ...ExchangeId[]]);

const placeSchema = z
  .object({
    session: sessionField,
    exchange: exchangeField,
    symbol: z.string().min(1),
    venue: z.string().min(1).optional(),
    side: z.enum(['buy', 'sell']),
    type: z.enum(['limit', 'market']),
    price: decimal.optional(),
    amount: decimal.optional(),
    quoteAmount: decimal.optional(),
    timeInForce: z.enum(['GTC', 'IOC', 'FOK']).optional(),
    postOnly: z.boolean().optional(),
    clientOrderId: z.string().min(1).max(64).optional(),
  })
  .strict();

const cancelSchema = z
  .object({ session: sessionField, exchange: exchangeField, orderId: z.string().min(1).optional(), clientOrderId: z.string().min(1).optional() })
  .strict()
  .refine((v) => v.orderId !== undefined || v.clientOrderId !== undefined, 'give orderId or clientOrderId');

/** An order as the control API shows it: the instrument by its symbol, not the internal object. */
function shown(r: { ok: true; order: OrderEvent } | { ok: false }): unknown {
  if (!r.ok) return r;
  const { inst, fill: _fill, type: _type, ...o } = r.order;
  return { ok: true, order: { symbol: `${inst.base}/${inst.quote}`, ...o } };
}

function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message}`).join('; ');
}

const NO_PAPER = 'paper trading is off: run `ticktape replay --paper` to trade against the recording';

/** Handles the paper endpoints; false for any other path. */
export async function handlePaperHttp(req: http.IncomingMessage, res: http.ServerResponse, deps: PaperHttpDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const isRest = url.pathname === REST_PREFIX || url.pathname.startsWith(`${REST_PREFIX}/`);
  if (!isRest && url.pathname !== '/paper' && !url.pathname.startsWith('/paper/')) return false;
  const desk = deps.desk;
  if (isRest) return coinstoreRest(req, res, url, deps);
  if (!desk) return json(res, 404, { error: NO_PAPER });
  const parts = url.pathname.split('/').filter(Boolean); // paper, orders|sessions, ...

  if (parts[1] === 'sessions' && req.method === 'GET' && parts.length === 2)
    return json(
      res,
      200,
      desk.ids().map((id) => ({ id, exchanges: [...desk.accountsOf(id).keys()] })),
    );
  if (parts[1] === 'sessions' && parts[2]) {
    const id = parts[2];
    if (!SESSION_RE.test(id) || !desk.has(id)) return json(res, 404, { error: `no paper session "${id}"` });
    if (req.method === 'GET' && parts.length === 3) {
      const out: Record<string, unknown> = {};
      for (const [ex, a] of desk.accountsOf(id)) {
        out[ex] = { balances: await a.balances(), openOrders: await a.openOrders(), fills: await a.fills(50), positions: await a.positions() };
      }
      return json(res, 200, out);
    }
    if (req.method === 'POST' && parts[3] === 'results' && parts.length === 4) {
      const files = await desk.flush(id);
      return json(res, 200, { folder: desk.folderOf(id), files });
    }
    return json(res, 404, { error: 'use GET /paper/sessions/<id> or POST /paper/sessions/<id>/results' });
  }
  if (parts[1] !== 'orders' || req.method !== 'POST' || parts.length > 3 || (parts.length === 3 && parts[2] !== 'cancel')) {
    return json(res, 404, { error: 'unknown paper path: POST /paper/orders, POST /paper/orders/cancel, GET /paper/sessions[/<id>]' });
  }
  const text = await readBody(req);
  if (text === null) return json(res, 413, { error: `the body is over ${MAX_PAPER_BODY_BYTES} bytes` });
  let doc: unknown;
  try {
    doc = JSON.parse(text || '{}');
  } catch {
    return json(res, 400, { ok: false, code: 'bad_request', message: 'the body is not JSON' });
  }
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc) && !('session' in doc) && url.searchParams.has('session')) {
    (doc as Record<string, unknown>).session = url.searchParams.get('session');
  }
  if (parts[2] === 'cancel') {
    const p = cancelSchema.safeParse(doc);
    if (!p.success) return json(res, 400, { ok: false, code: 'bad_request', message: issues(p.error) });
    const session = p.data.session ?? DEFAULT_PAPER_SESSION;
    deps.touch(session);
    const r = await desk.account(session, p.data.exchange).cancelOrder({ orderId: p.data.orderId, clientOrderId: p.data.clientOrderId });
    return json(res, r.ok ? 200 : 422, shown(r));
  }
  const p = placeSchema.safeParse(doc);
  if (!p.success) return json(res, 400, { ok: false, code: 'bad_request', message: issues(p.error) });
  const o = p.data;
  const inst = matchInstrument(deps.instruments(o.exchange), o.symbol);
  if (!inst) return json(res, 422, { ok: false, code: 'bad_symbol', message: `${o.symbol} is not in the recording of ${o.exchange}` });
  const session = o.session ?? DEFAULT_PAPER_SESSION;
  deps.touch(session);
  const r = await desk.account(session, o.exchange).placeOrder({
    inst,
    venue: o.venue ?? null,
    side: o.side,
    orderType: o.type,
    price: o.price,
    amount: o.amount,
    quoteAmount: o.quoteAmount,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    clientOrderId: o.clientOrderId,
  });
  return json(res, r.ok ? 200 : 422, shown(r));
}

async function coinstoreRest(req: http.IncomingMessage, res: http.ServerResponse, url: URL, deps: PaperHttpDeps): Promise<boolean> {
  const desk = deps.desk;
  if (!desk) return json(res, 404, { code: 404, msg: 'service not found', data: null, message: NO_PAPER });
  const body = await readBody(req);
  if (body === null) return json(res, 413, { code: 400, msg: 'Bad Request', data: null, message: `the body is over ${MAX_PAPER_BODY_BYTES} bytes` });
  const q = (req.url ?? '').indexOf('?');
  const rawQuery = q >= 0 ? (req.url ?? '').slice(q + 1) : '';
  const named = typeof req.headers['x-ticktape-session'] === 'string' ? req.headers['x-ticktape-session'] : url.searchParams.get('session');
  if (named !== null && !SESSION_RE.test(named)) return json(res, 400, { code: 400, msg: 'Bad Request', data: null, message: 'X-Ticktape-Session: 1-64 letters, digits, "_", "-" or "."' });
  const session = named ?? DEFAULT_PAPER_SESSION;
  const reply = await answerRest(
    { method: req.method ?? 'GET', path: url.pathname.slice(REST_PREFIX.length) || '/', query: rawQuery, body, headers: req.headers },
    {
      instruments: deps.instruments('coinstore'),
      credentials: deps.credentials('coinstore'),
      authMode: deps.authMode,
      acceptedUnchecked: deps.acceptedUnchecked,
      account: () => {
        deps.touch(session);
        return desk.account(session, 'coinstore');
      },
    },
  );
  return json(res, reply.status, reply.body);
}
