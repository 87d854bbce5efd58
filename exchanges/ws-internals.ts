/**
 * The one place that reads `ws` internals. The host's fast path (ws-transport.ts) writes a batch of
 * frames it framed itself straight to the socket, which is only safe while ws's own sender has
 * nothing queued: otherwise the batch would overtake frames ws is still holding (compression, blob
 * reads). ws exposes no public way to ask, so this reads its sender's private state — which is why
 * `ws` is pinned to an exact version in package.json, and why test/exchanges/ws-fast-path.test.ts
 * fails (rather than the fast path silently turning off) when an upgrade renames these fields.
 */
import type { WebSocket } from 'ws';

/** ws's Sender state while it sends frames as they come (lib/sender.js: DEFAULT = 0). */
const SENDER_STATE_DEFAULT = 0;

interface WsPrivate {
  _sender?: { _state?: number; _queue?: unknown[] };
}

/** True when ws's sender holds no queued frame: a direct socket write now keeps the frame order. */
export function senderIdle(ws: WebSocket): boolean {
  const sender = (ws as unknown as WsPrivate)._sender;
  return sender?._state === SENDER_STATE_DEFAULT && (sender._queue?.length ?? 0) === 0;
}
