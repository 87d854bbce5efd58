/** Coinceres server side: routes each endpoint to its session (market socket C, trading socket A, notification socket B). */
import type { ServerContext, ServerSession, ServerSide, SessionLink, UpgradeDecision } from '../types.js';
import { MARKET_IDLE_TIMEOUT_MS, NOTIFY_IDLE_TIMEOUT_MS, TRADE_IDLE_TIMEOUT_MS } from './protocol.js';
import { createMarketSession } from './server-market.js';
import { checkNotifyUpgrade, createNotifySession } from './server-notify.js';
import { checkTradeUpgrade, createTradeSession } from './server-trade.js';

export const server: ServerSide = {
  // No socket has a server heartbeat: the client pings, the server answers.
  timing: {
    market: { heartbeatMs: 0, idleTimeoutMs: MARKET_IDLE_TIMEOUT_MS, maxLifeMs: 0 },
    trade: { heartbeatMs: 0, idleTimeoutMs: TRADE_IDLE_TIMEOUT_MS, maxLifeMs: 0 },
    notify: { heartbeatMs: 0, idleTimeoutMs: NOTIFY_IDLE_TIMEOUT_MS, maxLifeMs: 0 },
  },
  checkUpgrade(endpoint, req, ctx: ServerContext): UpgradeDecision {
    if (endpoint === 'trade') return checkTradeUpgrade(req.url, ctx);
    if (endpoint === 'notify') return checkNotifyUpgrade(req.url, ctx);
    return { ok: true };
  },
  createSession(endpoint, link: SessionLink, ctx: ServerContext): ServerSession {
    if (endpoint === 'notify') return createNotifySession(link, ctx);
    return endpoint === 'trade' ? createTradeSession(link, ctx) : createMarketSession(link, ctx);
  },
};
