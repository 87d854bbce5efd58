/**
 * Coinceres: the market-data socket (C, public), the trading request/response socket (A) and the
 * trade-notification push socket (B), the last two with `api_key` + SHA-256 `sign` in the URL.
 * Protocol reference: protocols.md §3; constants and sources in protocol.ts.
 */
import type { ExchangeModule } from '../types.js';
import { defaultChannels, privateChannels } from './channels.js';
import { client } from './client.js';
import { createNormalizer } from './normalize.js';
import { server } from './server.js';

/**
 * The documented demo key, spelled as in the original PDF (`bGppXpZqNrzVOptf`: lower-case z,
 * letter O). The seed's transcription (`bGppXpZqNrZV0ptf`) does not verify against the documented
 * sign; this spelling does (protocols.md §3.1).
 */
export const DEMO_API_KEY = 'bGppXpZqNrzVOptf';
export const DEMO_SECRET = 'bcBFnn3GbFz1cB73f5TkJa8P5gbrFdgt';

export const coinceres: ExchangeModule = {
  id: 'coinceres',
  displayName: 'Coinceres',
  client,
  server,
  createNormalizer,
  demoCredentials: { apiKey: DEMO_API_KEY, secret: DEMO_SECRET },
  defaultChannels,
  privateChannels,
};
