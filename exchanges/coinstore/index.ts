/**
 * Coinstore (spot) — native JSON WebSocket at wss://ws.coinstore.com/s/ws (protocols.md §1).
 *
 *   protocol.ts   constants, limits, message shapes, time units
 *   channels.ts   channel names ↔ canonical stream keys ↔ StreamSpecs
 *   client.ts     recorder side: LOGIN / SUB / UNSUB, pong keep-alive, frame reading
 *   read-frame.ts what a server frame is, its stream key, sequences and timestamp
 *   session.ts    server session state machine (simulator and replay)
 *   format.ts     market events → native pushes
 *   restamp.ts    recorded frames → this session's S / sid, other bytes untouched
 *   login.ts      LOGIN check against the accepted credentials
 *   normalize.ts  frames → normalized rows
 *   recording.ts  what the replay reads out of recorded frames (instrument ids, k-line history)
 *   outbox.ts     the order a session's messages leave in
 *   rest.ts       REST: the trading API (paper accounts) and the public symbol list
 *   public-http.ts the public REST endpoints on the simulator's and the replay's HTTP port
 *   fixtures/     every example message of the documents, with expected rows
 */
import type { Instrument } from '../market.js';
import type { ExchangeModule } from '../types.js';
import { symbolOf } from './channels.js';
import { clientSide } from './client.js';
import { createNormalizer } from './normalize.js';
import { recording } from './recording.js';
import { serverSide } from './server.js';

/**
 * Coinstore publishes no demo account. These are the values of the documented LOGIN example
 * (`"user-id":4930`, `"token":"eb737c84862f3d"`), so a client written from the docs logs in to
 * the simulator unchanged. They are not real keys.
 */
export const DEMO_CREDENTIALS = { apiKey: 'eb737c84862f3d', userId: '4930' };

export const coinstore: ExchangeModule = {
  id: 'coinstore',
  displayName: 'Coinstore',
  client: clientSide,
  server: serverSide,
  createNormalizer,
  demoCredentials: DEMO_CREDENTIALS,
  defaultChannels: (instruments: Instrument[]) =>
    instruments.flatMap((i) => {
      const s = symbolOf(i).toLowerCase();
      return [`${s}@trade`, `${s}@depth@20`, `${s}@kline@min_1`, `${s}@ticker`];
    }),
  privateChannels: (_instruments: Instrument[]) => ['!@account', '!@order'],
  recording,
};
