/** The URLs a server handle lists: one per exchange endpoint, aliases left out. */
import type { HostedEndpoint } from '../exchanges/host.js';
import type { ExchangeId } from '../exchanges/types.js';

/** exchange → endpoint name → URL, e.g. `urls.coinstore.ws`, `urls.coinsuper.mqtt`. */
export type EndpointUrls = Partial<Record<ExchangeId, Record<string, string>>>;

/** One URL a server listens on; `alias` marks an extra path of an endpoint (not its own `/<exchange>/…` one). */
export interface EndpointUrl {
  exchange: ExchangeId;
  endpoint: string;
  url: string;
  alias: boolean;
}

export function urlsOf(endpoints: readonly Pick<HostedEndpoint, 'exchange' | 'endpoint' | 'url' | 'alias'>[]): EndpointUrls {
  const out: EndpointUrls = {};
  for (const e of endpoints) {
    if (e.alias) continue;
    const byEndpoint = (out[e.exchange] ??= {});
    // The first URL of an endpoint is its WebSocket path; a byte-stream listener of the same name follows as `<name>+tcp`.
    const key = byEndpoint[e.endpoint] === undefined ? e.endpoint : `${e.endpoint}+tcp`;
    byEndpoint[key] = e.url;
  }
  return out;
}
