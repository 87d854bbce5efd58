/**
 * Who may drive a control endpoint (the recorder's POST /rotate, the replay's /control/*). They
 * listen on loopback, but a web page the operator has open can still reach loopback: with a form
 * or fetch (CSRF; the browser sends an Origin header, or Sec-Fetch-Site) or through a host name
 * the page's owner points at 127.0.0.1 (DNS rebinding; the browser then sends that name as Host).
 * So a control request must name the server itself in Host — an IP address, `localhost`, this
 * machine's host name or the address it listens on, with its port — and, when it says where it
 * comes from, come from that same origin. A bearer token, when configured, is required on top
 * (`Authorization: Bearer <token>`), compared in constant time.
 *
 * Pure apart from os.hostname(): the servers answer with the refusal's status and message.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';

export interface ControlGuardOptions {
  /** The port the server listens on. */
  port: number;
  /** The address it was told to listen on (a name the operator may use in Host). */
  listenHost: string;
  /** Required bearer token, or null for none. */
  token: string | null;
}

type ControlVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** The environment variable both servers read their control token from (a flag would show in `ps`). */
export const CONTROL_TOKEN_ENV = 'TICKTAPE_CONTROL_TOKEN';

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `host[:port]` (IPv6 in brackets) → its parts; null when it does not parse. */
function parseHostHeader(value: string): { hostname: string; port: number | null } | null {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return null;
  return { hostname: (m[1] ?? m[2]).toLowerCase(), port: m[3] === undefined ? null : Number(m[3]) };
}

/** A name (or address) that can only mean this server: never a name someone else's DNS decides. */
function ownHostname(hostname: string, listenHost: string): boolean {
  if (net.isIP(hostname)) return true;
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  const own = new Set([listenHost.toLowerCase().replace(/^\[|\]$/g, ''), os.hostname().toLowerCase()]);
  return own.has(hostname);
}

function sameToken(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export function checkControlRequest(headers: Headers, o: ControlGuardOptions): ControlVerdict {
  const hostValue = header(headers, 'host');
  const host = hostValue ? parseHostHeader(hostValue) : null;
  if (!host || !ownHostname(host.hostname, o.listenHost) || (host.port ?? 80) !== o.port) {
    return { ok: false, status: 403, message: `control requests must name this server in Host (an IP address or localhost, port ${o.port}); got ${JSON.stringify(hostValue ?? '')}` };
  }
  const origin = header(headers, 'origin');
  if (origin !== undefined) {
    let same = false;
    try {
      const u = new URL(origin);
      same = u.protocol === 'http:' && u.host.toLowerCase() === hostValue!.trim().toLowerCase();
    } catch {
      same = false;
    }
    if (!same) return { ok: false, status: 403, message: `control requests from another origin are refused (Origin ${JSON.stringify(origin)})` };
  }
  const site = header(headers, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { ok: false, status: 403, message: `control requests from another site are refused (Sec-Fetch-Site ${site})` };
  }
  if (o.token !== null) {
    const auth = header(headers, 'authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || !sameToken(m[1].trim(), o.token)) {
      return { ok: false, status: 401, message: `control requests need the control token: Authorization: Bearer <token> (${CONTROL_TOKEN_ENV} or the config)` };
    }
  }
  return { ok: true };
}
