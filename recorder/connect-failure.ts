/**
 * Why a connection brought no data: the cause the operator reads in /health, the alert and the
 * `alert` event record. Pure: from what the socket reported (an error code, an HTTP status, how long
 * it stayed open) to one short cause and a sentence saying what to check.
 *
 *   refused <status>  the WebSocket handshake got an HTTP answer instead of an upgrade (401: credentials)
 *   dns               the host name does not resolve
 *   unreachable       nothing answers: connection refused, no route, timed out
 *   closed on open    the connection opened (or the TCP connection was accepted) and was closed by the
 *                     other side before any data came
 *   tls               the TLS handshake failed (certificate, protocol)
 *   connect failed    anything else, with the error's message
 */

export interface ConnectFailure {
  cause: string;
  detail: string;
}

/** A connection closed by the other side this soon after opening, with no data frame, "closed on open". */
export const CLOSED_ON_OPEN_WITHIN_MS = 10_000;

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'EAI_ADDRFAMILY']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL']);
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** The handshake was answered with an HTTP status instead of an upgrade. */
export function refusedFailure(status: number): ConnectFailure {
  const hint = status === 401 || status === 403 ? 'check the credentials' : status === 429 || status === 418 ? 'the exchange is rate limiting connects' : status === 404 ? 'check the endpoint URL' : 'check the endpoint URL and the exchange status';
  return { cause: `refused ${status}`, detail: `the WebSocket handshake was answered with HTTP ${status}: ${hint}` };
}

/** An error before the connection opened. */
export function connectErrorFailure(err: { code?: string; message: string }): ConnectFailure {
  const code = err.code ?? '';
  if (DNS_CODES.has(code)) return { cause: 'dns', detail: `the host name does not resolve (${code}): check the URL and the DNS` };
  if (UNREACHABLE_CODES.has(code)) return { cause: 'unreachable', detail: `no connection to the endpoint (${code}): check the URL, the network and the firewall` };
  if (/handshake has timed out|timed out/i.test(err.message)) return { cause: 'unreachable', detail: `the endpoint did not answer in time (${err.message}): check the URL, the network and the firewall` };
  if (CLOSED_CODES.has(code) || /socket hang up/i.test(err.message)) return { cause: 'closed on open', detail: `the endpoint closed the connection during the handshake (${code || err.message})` };
  if (/^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(code) || code === 'EPROTO') return { cause: 'tls', detail: `the TLS handshake failed (${code}): check the URL's scheme and the certificate` };
  return { cause: 'connect failed', detail: err.message };
}

/**
 * A connection that opened and was closed by the other side before any data frame, soon after
 * opening. Null when it is an ordinary disconnect (it carried data, lived long, or we closed it).
 */
export function closedOnOpenFailure(o: { openForMs: number; dataFrames: number; remote: boolean; code: number; reason: string }): ConnectFailure | null {
  if (!o.remote || o.dataFrames > 0 || o.openForMs > CLOSED_ON_OPEN_WITHIN_MS) return null;
  return { cause: 'closed on open', detail: `the endpoint closed the connection ${o.openForMs} ms after it opened, before any data (close ${o.code}${o.reason ? ` ${o.reason}` : ''})` };
}
