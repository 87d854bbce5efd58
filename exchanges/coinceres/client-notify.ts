/**
 * Client side of the trade-notification socket (B): the signed URL, the Java SDK's text `ping`
 * schedule, and the reading of the pushed notices. Nothing is subscribed: the server pushes every
 * notice of the account the `api_key` belongs to.
 */
import { TicktapeError } from '../../core/errors.js';
import type { ClientSession, ClientSessionOptions, FrameInfo, OutFrame } from '../types.js';
import { NOTIFY_KEY } from './channels.js';
import { noticeType, NOTIFY_FIRST_PING_MS, NOTIFY_PING_INTERVAL_MS } from './protocol.js';

/** Heartbeat ticks per text ping (the ping interval is a whole multiple of the first delay). */
const TICKS_PER_PING = NOTIFY_PING_INTERVAL_MS / NOTIFY_FIRST_PING_MS;
import { handshakeSign } from './sign.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function readNotifyFrame(data: Uint8Array, binary: boolean): FrameInfo {
  if (binary) return { stream: '', malformed: true, control: false };
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    return { stream: '', malformed: true, control: false };
  }
  if (text.trim() === 'pong') return { stream: '', malformed: false, control: true };
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { stream: '', malformed: true, control: false };
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { stream: '', malformed: true, control: false };
  // A notice's times (`entrustTime`) are the order's creation time, not the time of the message.
  if (noticeType(msg as Record<string, unknown>) !== null) return { stream: NOTIFY_KEY, malformed: false, control: false, exchangeTsMs: null };
  // Anything else (an LMT-era `success` greeting, an error text) is kept raw, not taken as data.
  return { stream: '', malformed: false, control: true };
}

export function createNotifySession(opts: ClientSessionOptions): ClientSession {
  const apiKey = opts.credentials?.apiKey;
  const secret = opts.credentials?.secret;
  if (!apiKey || !secret) {
    throw new TicktapeError('TT_CREDENTIALS_MISSING', 'The coinceres notification socket needs apiKey and secret: set TICKTAPE_COINCERES_API_KEY and TICKTAPE_COINCERES_SECRET (or the config file).', {
      exchange: 'coinceres',
      endpoint: opts.endpoint,
    });
  }
  const base = new URL(opts.endpointUrl);
  const query = `api_key=${encodeURIComponent(apiKey)}`;
  const join = (q: string) => `${opts.endpointUrl}${base.search ? '&' : '?'}${q}`;
  const wanted = opts.streams.some((s) => s.key === NOTIFY_KEY);
  let answered = false;
  let ticks = 0;

  return {
    // The 2019 form of the SDK for port 19003 (no timestamp); the server also takes the later form.
    url: join(`${query}&sign=${handshakeSign(apiKey, secret)}`),
    // The sign has no timestamp or nonce: it is a bearer credential and never reaches the data.
    safeUrl: join(query),
    // Nothing to send: the SDK connects and waits; its first ping goes out after 5 s.
    onOpen: () => [],
    onFrame(data, binary) {
      const info = readNotifyFrame(data, binary);
      if (!answered && !info.malformed) {
        // The handshake authenticated us; the first answer (a pong, usually) shows the session lives.
        answered = true;
        return { ...info, auth: { ok: true }, ...(wanted ? { acks: [{ stream: NOTIFY_KEY, ok: true }] } : {}) };
      }
      return info;
    },
    // The SDK pings at 5 s, 15 s, 25 s, … The heartbeat timer ticks every 5 s: odd ticks carry the
    // SDK's text `ping`, even ticks a WebSocket ping frame, which every server answers on its own
    // and which keeps the application-level schedule exactly the SDK's.
    heartbeat: {
      intervalMs: NOTIFY_FIRST_PING_MS,
      frame: (): OutFrame | 'ws-ping' => {
        ticks += 1;
        return (ticks - 1) % TICKS_PER_PING === 0 ? { data: 'ping', binary: false } : 'ws-ping';
      },
    },
    // No subscriptions: the stream exists as long as the socket does.
    subscribe: () => [],
    unsubscribe: () => [],
  };
}
