/**
 * The conformance suite every exchange's server side passes. Each exchange supplies a driver: a
 * client that speaks only its native protocol (plain `ws`, or MQTT.js for Coinsuper); the suite
 * hosts the server side with `startHost` and a deterministic test feed, and checks the session
 * behaviour every exchange must have: connect, authenticate (and fail with a bad signature), subscribe,
 * receive data, unsubscribe, heartbeat, idle timeout, bad request.
 *
 * Usage (test/exchanges/<name>/conformance.test.ts):
 *   runConformance(myDriver);
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type ExchangeHost } from '../../exchanges/host.js';
import { EXCHANGES } from '../../exchanges/registry.js';
import type { ExchangeId, ServerContext, ServerTiming } from '../../exchanges/types.js';
import { createTestFeedFactory, TEST_INSTRUMENTS } from '../helpers/test-feed.js';
import { seededRandom as seeded } from '../../core/seeded-random.js';

export interface ConformanceClient {
  /** Native subscribe; resolves once the documented acknowledgement arrived (at once when the protocol has none). */
  subscribe(channel: string): Promise<void>;
  /** Resolves with the next data message of the channel (parsed), rejects after timeoutMs. */
  nextData(channel: string, timeoutMs: number): Promise<unknown>;
  /** Native unsubscribe; resolves after the acknowledgement (if any) and drops data already buffered for it. */
  unsubscribe(channel: string): Promise<void>;
  /** Sends the client heartbeat; resolves with the documented answer (null when the protocol has none). */
  heartbeat(): Promise<unknown>;
  /** Sends a bad request (non-JSON / unknown op / broken packet); resolves with the error reply, or 'closed' when the protocol closes instead. */
  badRequest(): Promise<unknown>;
  /** Resolves with the close code once the server closes the socket. */
  closed(): Promise<number>;
  close(): void;
}

export interface ConformanceDriver {
  exchange: ExchangeId;
  /** Endpoint (key of client.endpoints) the suite exercises. */
  endpoint: string;
  /** Public channels to exercise, in the exchange's own channel syntax for the driver. */
  channels: string[];
  /** Connect with valid credentials (where the endpoint needs any) and finish the handshake. */
  connect(url: string): Promise<ConformanceClient>;
  /** Try to authenticate with a wrong signature/token; resolve with what the refusal looked like, reject if accepted. */
  refusedWithBadAuth(hostUrl: (endpoint: string) => string): Promise<unknown>;
  /** What a bad request does in this protocol. */
  badRequestCloses: boolean;
  /** Timings for the idle-timeout test (short), and how long to wait for the close. */
  idle: { timing: Partial<ServerTiming>; waitMs: number };
  /** Optional: adjust the server context (e.g. give it a demo account). */
  context?(base: ServerContext): ServerContext;
}

async function hostFor(driver: ConformanceDriver, timing: Partial<ServerTiming>): Promise<ExchangeHost> {
  const feeds = createTestFeedFactory({ intervalMs: 20 });
  const context = (exchange: ExchangeId): ServerContext => {
    const base: ServerContext = {
      instruments: TEST_INSTRUMENTS,
      credentials: [EXCHANGES[exchange].demoCredentials],
      nowMs: () => Date.now(),
      timing,
      random: seeded(42),
    };
    return driver.context ? driver.context(base) : base;
  };
  return startHost({ port: 0, connection: ({ route }) => ({ context: context(route.exchange), feed: feeds() }) });
}

export function runConformance(driver: ConformanceDriver): void {
  describe(`conformance: ${driver.exchange}/${driver.endpoint}`, () => {
    let host: ExchangeHost;
    const url = () => host.url(driver.exchange, driver.endpoint);

    beforeAll(async () => {
      host = await hostFor(driver, {});
    });
    afterAll(async () => {
      await host?.close();
    });

    it('connects and completes the handshake', async () => {
      const c = await driver.connect(url());
      c.close();
    });

    it('refuses a bad signature or token', async () => {
      const refusal = await driver.refusedWithBadAuth((endpoint) => host.url(driver.exchange, endpoint));
      expect(refusal).toBeTruthy();
    });

    it('subscribes and receives data on every channel, then unsubscribe stops it', async () => {
      const c = await driver.connect(url());
      try {
        for (const ch of driver.channels) {
          await c.subscribe(ch);
          const first = await c.nextData(ch, 3000);
          expect(first).toBeTruthy();
          await c.nextData(ch, 3000);
        }
        for (const ch of driver.channels) {
          await c.unsubscribe(ch);
          // after the acknowledgement, nothing more of this channel may arrive
          await expect(c.nextData(ch, 300)).rejects.toThrow();
        }
      } finally {
        c.close();
      }
    });

    it('answers the client heartbeat and stays open', async () => {
      const c = await driver.connect(url());
      try {
        await c.heartbeat();
        await c.subscribe(driver.channels[0]);
        expect(await c.nextData(driver.channels[0], 3000)).toBeTruthy();
      } finally {
        c.close();
      }
    });

    it('answers a bad request the documented way', async () => {
      const c = await driver.connect(url());
      try {
        const reply = await c.badRequest();
        if (driver.badRequestCloses) {
          expect(reply).toBe('closed');
        } else {
          expect(reply).not.toBe('closed');
          // the session survives: a subscription still works
          await c.subscribe(driver.channels[0]);
          expect(await c.nextData(driver.channels[0], 3000)).toBeTruthy();
        }
      } finally {
        c.close();
      }
    });

    it('closes an idle connection', async () => {
      const idleHost = await hostFor(driver, driver.idle.timing);
      try {
        const c = await driver.connect(idleHost.url(driver.exchange, driver.endpoint));
        const code = await Promise.race([c.closed(), new Promise<number>((_, reject) => setTimeout(() => reject(new Error('idle connection was not closed')), driver.idle.waitMs))]);
        expect(typeof code).toBe('number');
      } finally {
        await idleHost.close();
      }
    });
  });
}
