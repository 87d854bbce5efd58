import { describe, expect, it } from 'vitest';
import { coinceres, DEMO_API_KEY, DEMO_SECRET } from '../../../exchanges/coinceres/index.js';
import { REST_DOC_CREDENTIALS, SIGN_VECTORS } from '../../../exchanges/coinceres/fixtures/sign.js';
import { handshakeSign, sign, signingString, verifyHandshakeSign } from '../../../exchanges/coinceres/sign.js';

describe('coinceres sign', () => {
  for (const v of SIGN_VECTORS) {
    it(`vector: ${v.name}`, () => {
      expect(signingString(v.params, v.secret)).toBe(v.signing);
      expect(sign(v.params, v.secret)).toBe(v.sha256);
      if (v.documentSign) expect(sign(v.params, v.secret) === v.documentSign).toBe(v.matchesDocument);
    });
  }

  it('the seed example only verifies with the key as the original PDF spells it', () => {
    const stated = '2bb24f69ca812c766a7bd73e3c2a331b55373a122bba8ede47ced0b4a07139c0';
    expect(verifyHandshakeSign('bGppXpZqNrzVOptf', DEMO_SECRET, stated)).toBe(true);
    expect(verifyHandshakeSign('bGppXpZqNrZV0ptf', DEMO_SECRET, stated)).toBe(false);
    expect(verifyHandshakeSign('bGppXpZqNrZVOptf', DEMO_SECRET, stated)).toBe(false);
    // hex case does not matter; length does
    expect(verifyHandshakeSign(DEMO_API_KEY, DEMO_SECRET, stated.toUpperCase())).toBe(true);
    expect(verifyHandshakeSign(DEMO_API_KEY, DEMO_SECRET, stated.slice(1))).toBe(false);
  });

  it('demo credentials are the documented key (PDF spelling) and secret', () => {
    expect(coinceres.demoCredentials).toEqual({ apiKey: 'bGppXpZqNrzVOptf', secret: 'bcBFnn3GbFz1cB73f5TkJa8P5gbrFdgt' });
    expect(handshakeSign(coinceres.demoCredentials.apiKey, coinceres.demoCredentials.secret)).toBe('2bb24f69ca812c766a7bd73e3c2a331b55373a122bba8ede47ced0b4a07139c0');
  });

  it('leaves out empty values and sorts keys (Java SignDemo)', () => {
    expect(signingString({ b: '2', a: '1', c: '' }, 's')).toBe('a=1&b=2&secret=s');
    expect(sign({ exchange: 'BITMEX' }, REST_DOC_CREDENTIALS.secret)).toBe('9173fddc96e445b07a3d11295b52ca45385f96d9a52307da58134a2fd7e239be');
  });
});
