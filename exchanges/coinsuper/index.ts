/**
 * Coinsuper: MQTT 3.1.1 over WebSocket and over plain TCP (protocols.md §4; sources in protocol.ts).
 *
 *   protocol.ts       constants: endpoint, credentials of the public feed, topic templates, limits
 *   topics.ts         channel syntax ↔ full MQTT topics (the canonical stream keys) ↔ StreamSpecs
 *   auth.ts           md5 client ids, the private sign, its check and its redaction
 *   framing.ts        MQTT packet boundaries in a byte stream, with the size limit checked first
 *   packets.ts        MQTT packets on mqtt-packet: a reader per connection, packet ids
 *   client.ts         the recorder's side: CONNECT, SUBSCRIBE after CONNACK, frame reading, PINGREQ
 *   broker.ts         the server side: one MQTT broker per connection, WebSocket or TCP (simulator, replay)
 *   server.ts         upgrade check (sub-protocol mqtt) and session timings
 *   format.ts         market events → the documented JSON payloads
 *   normalize.ts      PUBLISH payloads → rows; trade-window de-duplication
 *   json-lossless.ts  JSON that keeps 30-decimal numbers as text
 *   decimal.ts        exact decimal arithmetic on scaled bigints
 *   fixtures/         every documented payload and the login worked examples, with expected rows
 */
import type { Instrument } from '../market.js';
import type { ExchangeModule } from '../types.js';
import { coinsuperClient } from './client.js';
import { DEMO_CREDENTIALS } from './demo.js';
import { CoinsuperNormalizer } from './normalize.js';
import { MqttFramer } from './framing.js';
import { ENDPOINT, MQTT_TCP_SCHEMES, MQTT_TCP_URL } from './protocol.js';
import { coinsuperServer } from './server.js';

const topicSymbol = (i: Instrument) => `${i.base}_${i.quote}`.toUpperCase();

export const coinsuper: ExchangeModule = {
  id: 'coinsuper',
  displayName: 'Coinsuper',
  client: coinsuperClient,
  server: coinsuperServer,
  // MQTT over plain TCP (1883) and TLS, as the exchange's own Java and Python demos connect by default
  tcp: {
    endpoint: ENDPOINT,
    url: MQTT_TCP_URL,
    schemes: MQTT_TCP_SCHEMES,
    framer: (maxMessageBytes) => new MqttFramer(maxMessageBytes),
  },
  createNormalizer: (state) => new CoinsuperNormalizer(state),
  demoCredentials: { ...DEMO_CREDENTIALS },
  defaultChannels: (instruments) =>
    instruments.flatMap((i) => {
      const s = topicSymbol(i);
      // the finest step is one price tick: the book as it stands, without aggregation
      const step = (1 / 10 ** i.priceDecimals).toFixed(i.priceDecimals);
      return [`${s}@orderBook@${step}`, `${s}@tickers`, `${s}@kline@60000`, `${s}@depth`];
    }),
  privateChannels: () => [`asset@${DEMO_CREDENTIALS.email}`, `order@${DEMO_CREDENTIALS.email}`, `trade@${DEMO_CREDENTIALS.email}`],
};
