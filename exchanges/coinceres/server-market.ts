/**
 * Server side of the market socket (C): the `info` handshake, subscribe arrays acknowledged per
 * element, `{"msg_type":"ping"}` → `{"msg_type":"pong","time":"<ms>"}`, pushes in the captured
 * sample shapes, and an idle timeout when the client stops pinging.
 */
import { matchInstrument, type MarketEvent } from '../market.js';
import type { FeedItem, ServerContext, ServerSession, SessionLink, StreamSpec } from '../types.js';
import { canonicalContract, marketChannelOf, marketSpec } from './channels.js';
import { pushCandle, pushDepth10, pushTick, pushTrade } from './format.js';
import { createIdleTimer } from './idle-timer.js';
import { ACK_BAD_REQUEST, ACK_INVALID_COMMAND, ACK_MESSAGES, ACK_OK, ACK_REPEATED, CANDLE_DURATIONS, HANDSHAKE_INFO, INVALID_CONTRACT_MESSAGE, MARKET_IDLE_TIMEOUT_MS, type SubscribeAck } from './protocol.js';

const VENUE_RE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

type Element = Record<string, unknown>;

/** One answered element of a subscribe array. */
function ack(req: Element, msgType: string, code: number, message = ACK_MESSAGES[code]): SubscribeAck {
  // Key order of the doc's example: msg_type, exchange, contract, duration, code, message. A request
  // without a msg_type gets an answer without one.
  return {
    ...(msgType ? { msg_type: msgType } : {}),
    ...(typeof req.exchange === 'string' ? { exchange: req.exchange } : {}),
    ...(typeof req.contract === 'string' ? { contract: req.contract } : {}),
    ...(typeof req.duration === 'string' ? { duration: req.duration } : {}),
    code,
    message,
  };
}

function formatMarketEvent(stream: StreamSpec, event: MarketEvent): object | null {
  const to = { venue: String(stream.params.venue), contract: stream.symbol ?? '' };
  switch (event.type) {
    case 'ticker':
      return stream.kind === 'ticker' ? pushTick(event, to) : null;
    case 'trade':
      return stream.kind === 'trade' ? pushTrade(event, to) : null;
    case 'book':
      return stream.kind === 'book' ? pushDepth10(event, to) : null;
    case 'kline':
      return stream.kind === 'kline' ? pushCandle(event, { ...to, duration: String(stream.params.interval) }) : null;
    default:
      return null;
  }
}

export function createMarketSession(link: SessionLink, ctx: ServerContext): ServerSession {
  const subs = new Map<string, StreamSpec>();
  const idle = createIdleTimer(link, ctx.timing.idleTimeoutMs ?? MARKET_IDLE_TIMEOUT_MS);

  const armIdle = () => idle.arm();
  const send = (msg: unknown) => link.send(JSON.stringify(msg), false);

  function handleElement(req: unknown): SubscribeAck {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) return ack({}, '', ACK_BAD_REQUEST);
    const el = req as Element;
    const msgType = el.msg_type;
    if (typeof msgType !== 'string') return ack(el, '', ACK_BAD_REQUEST);
    const m = /^(subscribe|unsubscribe)-(.+)$/.exec(msgType);
    const answerType = m ? `${m[1]}d-${m[2]}` : msgType;
    const channel = m ? marketChannelOf(m[2]) : null;
    if (!m || !channel) return ack(el, answerType, ACK_INVALID_COMMAND);
    if (typeof el.exchange !== 'string' || typeof el.contract !== 'string' || !VENUE_RE.test(el.exchange)) {
      return ack(el, answerType, ACK_BAD_REQUEST);
    }
    let duration: string | undefined;
    if (channel === 'candle') {
      if (typeof el.duration !== 'string' || !CANDLE_DURATIONS[el.duration]) return ack(el, answerType, ACK_BAD_REQUEST);
      duration = el.duration;
    }
    const contract = canonicalContract(el.contract);
    // Contracts are spelled BASE/QUOTE; the server lists the instruments of its market.
    if (!/^[A-Z0-9]+\/[A-Z0-9]+$/.test(contract) || !matchInstrument(ctx.instruments, contract)) {
      return ack(el, answerType, ACK_BAD_REQUEST, INVALID_CONTRACT_MESSAGE);
    }
    const spec = marketSpec(el.exchange.toUpperCase(), contract, channel, duration);
    if (m[1] === 'unsubscribe') {
      // ASSUMPTION: the 2019-02 protocol defines no unsubscribe; we mirror subscribe
      // (`unsubscribe-<channel>` → `unsubscribed-<channel>`), answering 400 when not subscribed.
      if (!subs.delete(spec.key)) return ack(el, answerType, ACK_BAD_REQUEST);
      link.unsubscribe(spec.key);
      return ack(el, answerType, ACK_OK);
    }
    if (subs.has(spec.key)) return ack(el, answerType, ACK_REPEATED);
    const r = link.subscribe(spec);
    if (!r.ok) {
      return r.code === 'unknown' ? ack(el, answerType, ACK_BAD_REQUEST, INVALID_CONTRACT_MESSAGE) : ack(el, answerType, ACK_BAD_REQUEST, r.reason);
    }
    subs.set(spec.key, spec);
    return ack(el, answerType, ACK_OK);
  }

  // On connect: the handshake notice the SDK waits for.
  send({ info: HANDSHAKE_INFO });
  armIdle();

  return {
    onMessage(data, binary) {
      armIdle();
      let msg: unknown;
      try {
        if (binary) throw new Error('binary');
        msg = JSON.parse(decoder.decode(data));
      } catch {
        // ASSUMPTION: a frame that is not JSON is answered like a bad subscribe element.
        send([ack({}, '', ACK_BAD_REQUEST)]);
        return;
      }
      if (msg !== null && typeof msg === 'object' && !Array.isArray(msg) && (msg as Element).msg_type === 'ping') {
        send({ msg_type: 'pong', time: String(ctx.nowMs()) });
        return;
      }
      // Subscribe requests are arrays; a bare object is accepted as a one-element array (tolerant).
      const elements = Array.isArray(msg) ? msg : [msg];
      if (elements.length === 0) {
        send([ack({}, '', ACK_BAD_REQUEST)]);
        return;
      }
      send(elements.map(handleElement));
    },
    onClose() {
      idle.stop();
      subs.clear();
    },
    deliver(stream, item: FeedItem) {
      if (idle.stopped || !subs.has(stream.key)) return;
      if (item.type === 'recorded') {
        // Replay: the recorded bytes, unchanged.
        link.send(item.payload, item.binary);
        return;
      }
      const msg = formatMarketEvent(stream, item.event);
      if (msg) send(msg);
    },
  };
}
