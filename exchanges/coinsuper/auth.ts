/**
 * Coinsuper's MQTT login (protocols.md §4.2, E-CS1):
 *  - public topics: clientId = md5(access_key) + md5(email) + md5(full topic), 96 hex chars;
 *  - private topics: clientId = access_key, password = `email,timestamp_ms,sign` with
 *    sign = md5(`access_key,secret_key,email,timestamp_ms`), lower-case hex.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthMode } from '../types.js';

export interface CoinsuperCredentials {
  accessKey: string;
  secretKey: string;
  email: string;
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

export function publicClientId(accessKey: string, email: string, fullTopic: string): string {
  return md5Hex(accessKey) + md5Hex(email) + md5Hex(fullTopic);
}

export function privateSign(accessKey: string, secretKey: string, email: string, timestampMs: number | string): string {
  return md5Hex(`${accessKey},${secretKey},${email},${timestampMs}`);
}

export function privatePassword(creds: CoinsuperCredentials, timestampMs: number): string {
  return `${creds.email},${timestampMs},${privateSign(creds.accessKey, creds.secretKey, creds.email, timestampMs)}`;
}

/** The password as stored in the journal: the sign replaced by as many `*`, so the packet keeps its length. */
export function redactedPrivatePassword(email: string, timestampMs: number): string {
  return `${email},${timestampMs},${'*'.repeat(32)}`;
}

interface ParsedPrivatePassword {
  email: string;
  timestampMs: string;
  sign: string;
}

/** Splits `email,timestamp,sign`; the email cannot hold a comma, so the split is unambiguous from the right. */
export function parsePrivatePassword(password: string): ParsedPrivatePassword | null {
  const parts = password.split(',');
  if (parts.length !== 3) return null;
  const [email, timestampMs, sign] = parts;
  if (!email || !/^\d{1,16}$/.test(timestampMs) || !/^[0-9a-fA-F]{32}$/.test(sign)) return null;
  return { email, timestampMs, sign: sign.toLowerCase() };
}

/**
 * Checks a private login against the credentials the server accepts: the clientId names the
 * access key, the password's email must be that key's email, and the sign must verify.
 * [ASSUMPTION] no freshness window on the timestamp: the doc names none, and replayed sessions run
 * on a shifted clock.
 */
export function verifyPrivateLogin(clientId: string, password: string, accepted: readonly Partial<CoinsuperCredentials>[], mode: AuthMode = 'strict'): CoinsuperCredentials | null {
  const parsed = parsePrivatePassword(password);
  if (!parsed) return null;
  // `--auth any`: a well-formed login (a client id, `email,timestamp,sign`) is the account it names, unchecked.
  if (mode === 'any') return clientId ? { accessKey: clientId, secretKey: '', email: parsed.email } : null;
  for (const c of accepted) {
    if (!c.accessKey || !c.secretKey || !c.email) continue;
    if (c.accessKey !== clientId || c.email !== parsed.email) continue;
    const expected = Buffer.from(privateSign(c.accessKey, c.secretKey, c.email, parsed.timestampMs), 'utf8');
    if (timingSafeEqual(expected, Buffer.from(parsed.sign, 'utf8'))) return { accessKey: c.accessKey, secretKey: c.secretKey, email: c.email };
  }
  return null;
}
