/**
 * Server side of the trade-notification socket (B): the identity check during the handshake (the
 * 2019 sign, or the later one with a timestamp), text `ping` → text `pong`, and a messageType 1
 * notice for every change of the demo account's orders. A replay sends the recorded notices byte
 * for byte.
 *
 * No messageType 2: the demo account is a spot account (lever 1, no margin, no take-profit or
 * stop-loss orders), so nothing it does would produce one; recorded ones are replayed as they are.
 */
import type { ServerContext, ServerSession, SessionLink, UpgradeDecision } from '../types.js';
import { notifySpec } from './channels.js';
import { entrustNotice } from './format.js';
import { ACCOUNT_VENUE, AUTH_FAILED_BODY, AUTH_FAILED_STATUS, DEMO_PRODUCT, NOTIFY_IDLE_TIMEOUT_MS } from './protocol.js';
import { SIGN_RE, verifyHandshakeSign } from './sign.js';
import { createIdleTimer } from './idle-timer.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
/** A millisecond timestamp as the LMT SDK sends it (`System.currentTimeMillis()`). */
const TIMESTAMP_RE = /^\d{1,16}$/;

/**
 * The handshake of the notification socket: `api_key` and `sign`, and optionally `timestamp`; the
 * sign must verify against a known credential set, with the timestamp in the signed string when
 * one is given. ASSUMPTION: the timestamp's age is not checked (no window is documented, and a
 * replay runs on recorded time). A refusal is the trading socket's: HTTP 401 with a JSON body.
 */
export function checkNotifyUpgrade(url: URL, ctx: ServerContext): UpgradeDecision {
  const apiKey = url.searchParams.get('api_key') ?? '';
  const sign = url.searchParams.get('sign') ?? '';
  const timestamp = url.searchParams.get('timestamp') ?? undefined;
  const refused = { ok: false as const, status: AUTH_FAILED_STATUS, body: AUTH_FAILED_BODY };
  if (!apiKey || !sign) return refused;
  if (timestamp !== undefined && !TIMESTAMP_RE.test(timestamp)) return refused;
  if (ctx.authMode === 'any' && SIGN_RE.test(sign)) {
    ctx.acceptedUnchecked?.(`notification socket sign of api_key ${apiKey}`);
    return { ok: true };
  }
  const known = ctx.credentials.some((c) => c.apiKey === apiKey && typeof c.secret === 'string' && verifyHandshakeSign(apiKey, c.secret, sign, timestamp));
  return known ? { ok: true } : refused;
}

export function createNotifySession(link: SessionLink, ctx: ServerContext): ServerSession {
  const idle = createIdleTimer(link, ctx.timing.idleTimeoutMs ?? NOTIFY_IDLE_TIMEOUT_MS);
  const armIdle = () => idle.arm();
  armIdle();
  // Nothing is subscribed on the wire: the account's notices flow from the start. The simulator
  // routes the demo account's order events to this `order` stream; a replay, the recorded notices
  // (a recording without any has no such stream, and the refusal leaves the socket quiet).
  link.subscribe(notifySpec());

  return {
    onMessage(data, binary) {
      armIdle();
      if (binary) return;
      let text: string;
      try {
        text = decoder.decode(data);
      } catch {
        return;
      }
      // ASSUMPTION: the socket only pushes; anything but `ping` goes unanswered.
      if (text.trim() === 'ping') link.send('pong', false);
    },
    onClose() {
      idle.stop();
    },
    deliver(_stream, item) {
      if (idle.stopped) return;
      if (item.type === 'recorded') {
        link.send(item.payload, item.binary);
        return;
      }
      if (item.event.type !== 'order') return;
      link.send(JSON.stringify(entrustNotice(item.event, DEMO_PRODUCT, ACCOUNT_VENUE)), false);
    },
  };
}
