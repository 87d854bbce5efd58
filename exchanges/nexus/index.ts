/**
 * Nexus (SmartCrypto): a broker's aggregated multi-counterparty venue, realtime socket
 * `/api/realtime?X-API-TOKEN=<token>`. See protocol.ts for the sources and protocols.md §2.
 *
 * Files: protocol.ts (message shapes, constants), channels.ts (channel syntax, stream keys),
 * client.ts (recorder side), server.ts (simulator / replay session), book-format.ts and
 * account-format.ts (market events → native pushes), normalize.ts (frames → rows), decimal.ts
 * (exact decimal strings), fixtures/ (every example message of the documents, with expected rows).
 */
import type { Instrument } from '../market.js';
import type { ExchangeModule } from '../types.js';
import { createClientSide, type NexusClientOptions } from './client.js';
import { createNormalizer } from './normalize.js';
import { DEMO_BOOK, nexusSymbol } from './protocol.js';
import { createServerSide } from './server.js';

/**
 * The token of the documents' own connection example
 * (`wss://demo.nexus.com:444/api/realtime?X-API-TOKEN=WHZWUFAxWlV0bzdMMzl5N1dmYy1z`). A real token
 * comes from the REST login and expires; this one is only a published sample, so the simulator
 * accepts it as the demo account's token and it opens nothing anywhere else.
 */
export const DEMO_TOKEN = 'WHZWUFAxWlV0bzdMMzl5N1dmYy1z';

/** The module with non-default client options (e.g. a different PING interval). */
export function createNexusModule(options: Partial<NexusClientOptions> = {}): ExchangeModule {
  return {
    id: 'nexus',
    displayName: 'Nexus (SmartCrypto)',
    client: createClientSide(options),
    server: createServerSide(),
    createNormalizer: () => createNormalizer(),
    demoCredentials: { token: DEMO_TOKEN },
    defaultChannels: (instruments: Instrument[]) => instruments.map((i) => `${nexusSymbol(i)}@depth@5`),
    privateChannels: () => ['orders', `positions@${DEMO_BOOK}`],
  };
}

export const nexus: ExchangeModule = createNexusModule();
