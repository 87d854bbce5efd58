/**
 * Coinceres request signing (protocols.md §3.1, verified): `key=value` pairs sorted by key, pairs
 * with an empty key or value left out (the Java SignDemo does so), joined with `&`, then
 * `&secret=<secret>` appended last, then plain SHA-256 (not HMAC) of the UTF-8 string as lower-case
 * hex. The WebSocket handshake signs the single parameter `api_key`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A well-formed sign: SHA-256 as hex (64 digits, either case). What `--auth any` accepts unchecked. */
export const SIGN_RE = /^[0-9a-fA-F]{64}$/;

/** The string that is hashed: `a=1&b=2&secret=<secret>`. */
export function signingString(params: Record<string, string>, secret: string): string {
  const keys = Object.keys(params).sort();
  let s = '';
  for (const k of keys) {
    const v = params[k];
    if (!k || v === undefined || v === '') continue;
    s += `${k}=${v}&`;
  }
  return `${s}secret=${secret}`;
}

export function sign(params: Record<string, string>, secret: string): string {
  return createHash('sha256').update(signingString(params, secret), 'utf8').digest('hex');
}

/**
 * The handshake sign of the trading and notification sockets: sha256("api_key=<k>&secret=<s>").
 * With a timestamp (the notification socket from ~Aug 2019, LMT): sha256("api_key=<k>&timestamp=<ms>&secret=<s>").
 */
export function handshakeSign(apiKey: string, secret: string, timestamp?: string): string {
  return sign(timestamp === undefined ? { api_key: apiKey } : { api_key: apiKey, timestamp }, secret);
}

/** Constant-time check of a handshake sign (hex compared case-insensitively). */
export function verifyHandshakeSign(apiKey: string, secret: string, given: string, timestamp?: string): boolean {
  const want = Buffer.from(handshakeSign(apiKey, secret, timestamp), 'utf8');
  const got = Buffer.from(given.toLowerCase(), 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}
