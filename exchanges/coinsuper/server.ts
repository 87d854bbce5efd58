/** Server side of Coinsuper for the host: the upgrade check and one MQTT broker per WebSocket. */
import type { ServerSide } from '../types.js';
import { CoinsuperBroker } from './broker.js';
import { ENDPOINT, KEEPALIVE_GRACE_FACTOR, KEEPALIVE_S, MQTT_SUBPROTOCOLS, PUSH_PERIOD_MS } from './protocol.js';

export const coinsuperServer: ServerSide = {
  timing: {
    // No server heartbeat in MQTT; the idle limit is 1.5 × the client's keep-alive (60 s in every demo).
    [ENDPOINT]: { heartbeatMs: 0, idleTimeoutMs: KEEPALIVE_S * 1000 * KEEPALIVE_GRACE_FACTOR, maxLifeMs: 0 },
  },
  cadence(stream) {
    const periodMs = (PUSH_PERIOD_MS as Partial<Record<string, number>>)[stream.kind];
    return periodMs === undefined ? null : { periodMs, periodic: true };
  },
  checkUpgrade(endpoint, req) {
    if (endpoint !== ENDPOINT) return { ok: false, status: 404, body: `coinsuper has no endpoint "${endpoint}"` };
    const protocol = req.protocols.find((p) => (MQTT_SUBPROTOCOLS as readonly string[]).includes(p));
    if (!protocol) {
      return { ok: false, status: 400, body: 'Coinsuper speaks MQTT 3.1.1 over WebSocket: request the sub-protocol "mqtt" (or "mqttv3.1").' };
    }
    return { ok: true, protocol };
  },
  createSession(_endpoint, link, ctx) {
    return new CoinsuperBroker(link, ctx);
  },
};
