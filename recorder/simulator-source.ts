/**
 * `--simulate`: the built-in simulator started in the recorder's own process. The demo plan
 * (every exchange's default public channels plus its private ones with the demo credentials) is
 * built from its instruments by config.ts `demoPlans`.
 */
import type { Instrument } from '../exchanges/market.js';
import type { ExchangeId } from '../exchanges/types.js';
import type { SimulateOptions } from './config.js';

export interface InProcessSimulator {
  port: number;
  url(exchange: ExchangeId, endpoint: string): string;
  instruments: Instrument[];
  close(): Promise<void>;
}

export async function startInProcessSimulator(opts: SimulateOptions): Promise<InProcessSimulator> {
  // Loaded on demand: a production recorder never loads the simulator.
  const { startSimulator } = await import('../simulator/server.js');
  const sim = await startSimulator({
    port: opts.port,
    host: '127.0.0.1',
    seed: opts.seed,
    listenAs: { what: 'the in-process simulator', option: '--simulate-port (or simulate.port in the config)', alternative: '0 for any free port' },
    ...(opts.rate !== null ? { rate: opts.rate } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.throttle ? { throttle: opts.throttle } : {}),
  });
  return { port: sim.port, url: (e, ep) => sim.url(e, ep), instruments: sim.market.instruments, close: () => sim.close() };
}
