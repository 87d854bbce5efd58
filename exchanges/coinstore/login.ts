/**
 * Server-side check of a Coinstore `LOGIN` (protocols.md §1.4.5): `auth.token` carries the API key
 * (`"type":"api"`) or a web login token (`"type":"token"`, the default), `auth["user-id"]` the
 * account's user id. No signature is documented for the WebSocket login (the REST HMAC scheme is
 * REST-only), so the key itself is what is checked.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AuthMode, Credentials } from '../types.js';

/** `checked` false: accepted without a check (`authMode` any). */
type LoginResult = { ok: true; userId: string; checked: boolean } | { ok: false; reason: string };

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Accepts the login when the token equals the `apiKey` of one of the accepted credential sets and,
 * where that set names a `userId`, the `user-id` matches it. Both token types are checked the same
 * way (the simulator has no web login to issue tokens from). With `mode` any, a well-formed login
 * (a token, a known type) is accepted as it is.
 */
export function checkLogin(auth: unknown, accepted: readonly Credentials[], mode: AuthMode = 'strict'): LoginResult {
  if (!auth || typeof auth !== 'object') return { ok: false, reason: 'auth object missing' };
  const a = auth as Record<string, unknown>;
  const token = a.token;
  if (typeof token !== 'string' || token === '') return { ok: false, reason: 'auth.token missing' };
  const type = a.type ?? 'token';
  if (type !== 'api' && type !== 'token') return { ok: false, reason: `auth.type must be "api" or "token"` };
  const userId = a['user-id'] === undefined || a['user-id'] === null ? null : String(a['user-id']);
  if (mode === 'any') return { ok: true, userId: userId ?? '', checked: false };
  for (const cred of accepted) {
    if (typeof cred.apiKey !== 'string' || !sameText(cred.apiKey, token)) continue;
    if (cred.userId !== undefined && userId !== null && cred.userId !== userId) return { ok: false, reason: 'user-id does not own this api key' };
    return { ok: true, userId: userId ?? cred.userId ?? '', checked: true };
  }
  return { ok: false, reason: 'api key not recognised' };
}
