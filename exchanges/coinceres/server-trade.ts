/**
 * Server side of the trading socket (A): the identity check during the handshake, text `ping` →
 * text `pong`, and biz_type 11–17 requests answered from the demo account in the PDF's response
 * shapes. Bad JSON or an unknown biz_type gets the documented `{"code":"400","message":"parameter
 * error"}` (with `biz_type` when the request named one).
 */
import { matchInstrument, type Instrument } from '../market.js';
import type { Credentials, FeedItem, ServerContext, ServerSession, SessionLink, UpgradeDecision } from '../types.js';
import type { Rejection } from '../trading.js';
import { accountResponse, badRequest, noTradingRefusal, cancelResponse, contractsResponse, fillsResponse, ordersResponse, placeOrderResponse, positionsResponse, statusCode } from './format.js';
import {
  ACCOUNT_VENUE,
  AUTH_FAILED_BODY,
  AUTH_FAILED_STATUS,
  BIZ_ACCOUNT,
  BIZ_CANCEL_ORDER,
  BIZ_CONTRACTS,
  BIZ_FILLS,
  BIZ_ORDERS,
  BIZ_PLACE_ORDER,
  BIZ_POSITIONS,
  MAX_FILLS_PER_REQUEST,
  MAX_OIDS_PER_REQUEST,
  TRADE_IDLE_TIMEOUT_MS,
} from './protocol.js';
import { SIGN_RE, verifyHandshakeSign } from './sign.js';
import { parseChannel, TRADING_KEY } from './channels.js';
import { createIdleTimer } from './idle-timer.js';

/** How many of the account's latest fills biz_type 17 searches for the requested contract. */
const FILL_SCAN_LIMIT = 1000;
const DECIMAL_RE = /^\d+(\.\d+)?$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

type Req = Record<string, unknown>;

/** The biz_type of a request or response (a number, or digits in a string), if it has one. */
function bizTypeOf(msg: Req): number | undefined {
  const b = msg.biz_type;
  if (typeof b === 'number') return b;
  return typeof b === 'string' && /^\d+$/.test(b) ? Number(b) : undefined;
}

/** The credential set whose secret verifies `sign` for `api_key`, if any. */
function findCredential(credentials: Credentials[], apiKey: string, sign: string): Credentials | undefined {
  return credentials.find((c) => c.apiKey === apiKey && typeof c.secret === 'string' && verifyHandshakeSign(apiKey, c.secret, sign));
}

/**
 * "我方会在通信握手过程中，校验用户的身份": identity is checked during the handshake. A refusal is
 * not documented; ASSUMPTION: HTTP 401 with a JSON body, the upgrade never completes.
 */
export function checkTradeUpgrade(url: URL, ctx: ServerContext): UpgradeDecision {
  const apiKey = url.searchParams.get('api_key') ?? '';
  const sign = url.searchParams.get('sign') ?? '';
  if (ctx.authMode === 'any' && apiKey && SIGN_RE.test(sign)) {
    ctx.acceptedUnchecked?.(`trading socket sign of api_key ${apiKey}`);
    return { ok: true };
  }
  if (!apiKey || !sign || !findCredential(ctx.credentials, apiKey, sign)) {
    return { ok: false, status: AUTH_FAILED_STATUS, body: AUTH_FAILED_BODY };
  }
  return { ok: true };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

function oidList(v: unknown): string[] | null {
  const s = str(v);
  if (!s) return null;
  const oids = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return oids.length > 0 && oids.length <= MAX_OIDS_PER_REQUEST ? oids : null;
}

/**
 * A refused order: the document's only failure reply, `{"code":"400","message":"parameter error"}`
 * with the biz_type. ASSUMPTION: the document has no codes for a refusal's cause (balance, unknown
 * contract, unknown order), so the cause goes in an extra `reason` field a bot may log.
 */
function refusal(biz: number, r: Rejection): Record<string, unknown> {
  return { ...badRequest(biz), reason: r.message };
}

/**
 * Answers one parsed request from the trading account (`ctx.trading`: the replay's paper account
 * or the simulator's demo account). Requests are REST parameters plus `biz_type`; a market buy's
 * `entrust_vol` is the quote amount to spend ("市价买是金额"), every other order's a quantity.
 */
async function answerBiz(req: Req, ctx: ServerContext): Promise<Record<string, unknown>> {
  const biz = bizTypeOf(req);
  if (biz === undefined) return badRequest();
  const account = ctx.trading;
  const venue = str(req.exchange) ?? ACCOUNT_VENUE;
  const instOf = (v: unknown): Instrument | undefined => {
    const c = str(v);
    return c ? matchInstrument(ctx.instruments, c) : undefined;
  };
  // ASSUMPTION: without an account (a replay without --paper) queries answer an empty
  // account, and orders are refused with the documented error code and the reason the server
  // gives (ctx.noTradingReason) — never a "parameter error" for a well-formed order.
  if (!account && ctx.noTradingReason && (biz === BIZ_PLACE_ORDER || biz === BIZ_CANCEL_ORDER)) return noTradingRefusal(biz, ctx.noTradingReason);
  switch (biz) {
    case BIZ_CONTRACTS: {
      if (!str(req.exchange)) return badRequest(biz);
      const inst = instOf(req.contract);
      return contractsResponse(str(req.contract) ? (inst ? [inst] : []) : ctx.instruments, venue);
    }
    case BIZ_ACCOUNT:
      return accountResponse((await account?.balances()) ?? [], venue);
    case BIZ_ORDERS: {
      let orders = (await account?.orders()) ?? [];
      if (req.system_oid !== undefined) {
        const oids = oidList(req.system_oid);
        if (!oids) return badRequest(biz);
        orders = orders.filter((o) => oids.includes(o.orderId));
      }
      if (req.status !== undefined) {
        const status = Number(req.status);
        if (!Number.isInteger(status)) return badRequest(biz);
        orders = orders.filter((o) => statusCode(o) === status);
      }
      if (req.contract !== undefined) {
        const inst = instOf(req.contract);
        orders = orders.filter((o) => o.inst === inst);
      }
      return ordersResponse(orders, (await account?.fills(FILL_SCAN_LIMIT)) ?? []);
    }
    case BIZ_POSITIONS: {
      let positions = ((await account?.positions()) ?? []).filter((p) => Number(p.amount) !== 0);
      if (req.contract !== undefined) {
        const inst = instOf(req.contract);
        positions = positions.filter((p) => p.inst === inst);
      }
      const dir = str(req.position_dir);
      if (dir === 'buy' || dir === 'sell') positions = positions.filter((p) => (p.amount.trim().startsWith('-') ? 'sell' : 'buy') === dir);
      else if (dir !== undefined) return badRequest(biz);
      return positionsResponse(positions, venue);
    }
    case BIZ_FILLS: {
      const inst = instOf(req.contract);
      const count = Number(req.count);
      if (!str(req.exchange) || !inst || !Number.isInteger(count) || count < 1 || count > MAX_FILLS_PER_REQUEST) return badRequest(biz);
      const fills = ((await account?.fills(FILL_SCAN_LIMIT)) ?? []).filter((f) => f.inst === inst).slice(0, count);
      return fillsResponse(fills);
    }
    case BIZ_PLACE_ORDER: {
      const inst = instOf(req.contract);
      const priceType = str(req.price_type);
      const side = str(req.entrust_bs);
      const vol = str(req.entrust_vol);
      const price = str(req.entrust_price);
      if (!account || !str(req.exchange) || !inst || !vol || !DECIMAL_RE.test(vol)) return badRequest(biz);
      if ((priceType !== 'limit' && priceType !== 'market') || (side !== 'buy' && side !== 'sell')) return badRequest(biz);
      if (priceType === 'limit' && (!price || !DECIMAL_RE.test(price))) return badRequest(biz);
      const byQuote = priceType === 'market' && side === 'buy';
      const r = await account.placeOrder({
        inst,
        venue: str(req.exchange),
        side,
        orderType: priceType,
        price: priceType === 'limit' ? price : undefined,
        amount: byQuote ? undefined : vol,
        quoteAmount: byQuote ? vol : undefined,
        clientOrderId: str(req.client_oid),
      });
      return r.ok ? placeOrderResponse(r.order) : refusal(biz, r);
    }
    case BIZ_CANCEL_ORDER: {
      const oids = oidList(req.system_oid);
      if (!account || !oids) return badRequest(biz);
      const ok: string[] = [];
      const failed: string[] = [];
      for (const oid of oids) ((await account.cancelOrder({ orderId: oid })).ok ? ok : failed).push(oid);
      return cancelResponse(ok, failed);
    }
    default:
      return badRequest(biz);
  }
}

export function createTradeSession(link: SessionLink, ctx: ServerContext): ServerSession {
  const idle = createIdleTimer(link, ctx.timing.idleTimeoutMs ?? TRADE_IDLE_TIMEOUT_MS);
  const armIdle = () => idle.arm();
  armIdle();
  // The socket has no subscriptions, but a replay feeds the recorded responses of the `trading`
  // stream through this one (by their recorded time); the simulator's feed has nothing for it. A
  // request is answered with the latest recorded answer of its biz_type — what the exchange answered
  // at that moment of the recording — and, before there is one, from the account (simulator) or as
  // an empty account (replay). Recorded answers are never pushed unasked: the exchange does not.
  const recordedAnswers = new Map<number, Uint8Array>();
  link.subscribe(parseChannel(TRADING_KEY));
  let answers: Promise<void> = Promise.resolve();

  return {
    onMessage(data, binary) {
      armIdle();
      let text: string;
      try {
        if (binary) throw new Error('binary');
        text = decoder.decode(data);
      } catch {
        link.send(JSON.stringify(badRequest()), false);
        return;
      }
      if (text.trim() === 'ping') {
        link.send('pong', false);
        return;
      }
      let req: unknown;
      try {
        req = JSON.parse(text);
      } catch {
        link.send(JSON.stringify(badRequest()), false);
        return;
      }
      if (req === null || typeof req !== 'object' || Array.isArray(req)) {
        link.send(JSON.stringify(badRequest()), false);
        return;
      }
      // with an account the account answers; a replay without one answers with what was recorded
      const recorded = ctx.trading ? undefined : recordedAnswers.get(bizTypeOf(req as Req) ?? -1);
      // answers go out in request order, each when it is ready (a paper account answers after its delays)
      answers = answers.then(async () => {
        const answer = recorded ?? JSON.stringify(await answerBiz(req as Req, ctx).catch(() => badRequest(bizTypeOf(req as Req))));
        if (!idle.stopped) link.send(answer, false);
      });
    },
    onClose() {
      idle.stop();
    },
    deliver(_stream, item: FeedItem) {
      if (idle.stopped || item.type !== 'recorded') return;
      let answer: unknown;
      try {
        answer = JSON.parse(decoder.decode(item.payload));
      } catch {
        return; // a recorded pong or a malformed frame: nothing to answer with
      }
      const biz = answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? bizTypeOf(answer as Req) : undefined;
      if (biz !== undefined) recordedAnswers.set(biz, item.payload);
    },
  };
}
