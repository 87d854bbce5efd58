/** Every exchange, by id. Typed as a full Record: an exchange without a module does not compile. */
import { coinceres } from './coinceres/index.js';
import { coinstore } from './coinstore/index.js';
import { coinsuper } from './coinsuper/index.js';
import { nexus } from './nexus/index.js';
import { TicktapeError } from '../core/errors.js';
import { EXCHANGE_IDS, type ExchangeId, type ExchangeModule } from './types.js';

export const EXCHANGES: Record<ExchangeId, ExchangeModule> = { coinstore, coinsuper, nexus, coinceres };

export function isExchangeId(id: string): id is ExchangeId {
  return (EXCHANGE_IDS as readonly string[]).includes(id);
}

export function exchangeModule(id: string): ExchangeModule {
  if (!isExchangeId(id)) {
    throw new TicktapeError('TT_UNKNOWN_EXCHANGE', `Unknown exchange "${id}". Use one of: ${EXCHANGE_IDS.join(', ')}.`, { exchange: id });
  }
  return EXCHANGES[id];
}
