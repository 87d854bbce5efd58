import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { completeCredentialsFromEnv } from '../../exchanges/credentials-env.js';
import { parseCredentialArg } from '../../simulator/options-schema.js';
import { faultsForUrl, isActive, malform, NO_FAULTS, parseFaults } from '../../simulator/faults.js';

describe('faults: configuration', () => {
  it('reads per-connection query parameters over the run-wide values', () => {
    const base = parseFaults({ dropEvery: 500, malformedRate: 0.01 });
    const f = faultsForUrl(new URL('ws://h/coinstore/s/ws?fault.dropEvery=7&fault.stall=book&fault.stallAfter=2&fault.stopReading=1&token=x'), base);
    expect(f).toEqual({ ...NO_FAULTS, dropEvery: 7, malformedRate: 0.01, stall: 'book', stallAfter: 2, stopReading: true });
    expect(faultsForUrl(new URL('ws://h/x?token=1'), base)).toBe(base);
    expect(isActive(NO_FAULTS)).toBe(false);
    expect(isActive(base)).toBe(true);
  });

  it('refuses unknown faults and out-of-range values, naming them', () => {
    expect(() => parseFaults({ dropEvry: 3 })).toThrow(/Unknown fault "dropEvry"/);
    expect(() => parseFaults({ malformedRate: 1.5 })).toThrow(/between 0 and 1/);
    expect(() => parseFaults({ lifetimeS: -1 })).toThrow(/non-negative/);
  });
});

describe('faults: malformed frames', () => {
  it('cuts JSON so that it no longer parses', () => {
    for (const text of ['{"S":4,"T":"trade","price":"1.00"}', '[1,2,3]', '{}']) {
      const bad = malform(text) as string;
      expect(() => JSON.parse(bad)).toThrow();
    }
  });

  it('turns a binary frame into an MQTT packet a real MQTT parser rejects', () => {
    const bad = malform(Uint8Array.from([0x30, 0x02, 0x00, 0x00])) as Uint8Array;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const errors: Error[] = [];
    const packets: unknown[] = [];
    parser.on('error', (e: Error) => errors.push(e));
    parser.on('packet', (p: unknown) => packets.push(p));
    parser.parse(Buffer.from(bad));
    expect(packets).toEqual([]);
    expect(errors.length).toBe(1);
  });
});

describe('simulate command: credentials', () => {
  it('parses --credential exchange:field=value,...', () => {
    expect(parseCredentialArg('coinceres:apiKey=K1,secret=S=1')).toEqual(['coinceres', { apiKey: 'K1', secret: 'S=1' }]);
    expect(() => parseCredentialArg('binance:apiKey=x')).toThrow(/exchange one of/);
    expect(() => parseCredentialArg('nexus:token')).toThrow(/field=value/);
  });

  it('reads TICKTAPE_<EXCHANGE>_<FIELD> only when every field is set', () => {
    const env = { TICKTAPE_COINCERES_API_KEY: 'k', TICKTAPE_COINCERES_SECRET: 's', TICKTAPE_NEXUS_TOKEN: 't', TICKTAPE_COINSTORE_API_KEY: 'only-one' };
    const creds = completeCredentialsFromEnv(env);
    expect(creds.coinceres).toEqual([{ apiKey: 'k', secret: 's' }]);
    expect(creds.nexus).toEqual([{ token: 't' }]);
    expect(creds.coinstore).toBeUndefined();
  });

  it('reads the same names as the recorder: the plain upper-case alias too (TICKTAPE_COINSTORE_APIKEY)', () => {
    const creds = completeCredentialsFromEnv({ TICKTAPE_COINSTORE_APIKEY: 'k', TICKTAPE_COINSTORE_USER_ID: '7' });
    expect(creds.coinstore).toEqual([{ apiKey: 'k', userId: '7' }]);
  });
});
