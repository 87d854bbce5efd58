/** Hosts the Coinceres server side for tests: test feed, demo credentials, a test account. */
import { startHost, type ExchangeHost } from '../../../exchanges/host.js';
import { EXCHANGES } from '../../../exchanges/registry.js';
import type { ServerContext, ServerTiming } from '../../../exchanges/types.js';
import { createTestFeedFactory, TEST_INSTRUMENTS } from '../../helpers/test-feed.js';
import { createTestAccount } from './demo-account.js';
import { tradingFromDemo } from '../../../exchanges/trading.js';

export const NOW_MS = 1_767_323_045_000;

export async function hostCoinceres(opts: { timing?: Partial<ServerTiming>; account?: boolean; onRequest?: Parameters<typeof startHost>[0]['onRequest'] } = {}): Promise<{
  host: ExchangeHost;
  ctx: ServerContext;
}> {
  let n = 0;
  const account = opts.account === false ? undefined : createTestAccount(TEST_INSTRUMENTS);
  const ctx: ServerContext = {
    instruments: TEST_INSTRUMENTS,
    credentials: [EXCHANGES.coinceres.demoCredentials],
    nowMs: () => NOW_MS,
    timing: opts.timing ?? {},
    account,
    trading: account ? tradingFromDemo(account) : undefined,
    random: () => (n = (n * 9301 + 49297) % 233280) / 233280,
  };
  const feeds = createTestFeedFactory({ intervalMs: 20 });
  const host = await startHost({ port: 0, connection: () => ({ context: ctx, feed: feeds() }), onRequest: opts.onRequest });
  return { host, ctx };
}
