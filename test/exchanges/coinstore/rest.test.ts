/** Coinstore REST signing and request fields, from the documents' own examples. */
import { describe, expect, it } from 'vitest';
import { checkRestAuth, plainDecimal, restSign, type RestRequest } from '../../../exchanges/coinstore/rest.js';

// protocols.md §1.9: the document's scheme over its Example 2 body, re-computed there
const SECRET = 'your_secret_key';
const EXPIRES = '1627384801051';
const BODY = '{"symbol":"aaaa88","side":"SELL","ordType":"LIMIT","ordPrice":2,"ordQty":1,"timestamp":1627384801051}';
const SIGN = '3ddc2fb3ef509a93f98f354f807c7dc622301fffd70a9590771eff0c50dcca33';

const req = (headers: Record<string, string>, query = '', body = BODY): RestRequest => ({ method: 'POST', path: '/trade/order/place', query, body, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) });
const signed = (sign = SIGN, key = 'k1') => ({ 'X-CS-APIKEY': key, 'X-CS-EXPIRES': EXPIRES, 'X-CS-SIGN': sign });

describe('coinstore REST auth', () => {
  it('the two-step HMAC-SHA256 of the document', () => {
    expect(restSign(SECRET, EXPIRES, BODY)).toBe(SIGN);
  });

  it('strict: the sign must verify against the credential of the key; query + body unsorted is the payload', () => {
    const ctx = { credentials: [{ apiKey: 'k1', secret: SECRET }], authMode: 'strict' as const };
    expect(checkRestAuth(req(signed()), ctx)).toEqual({ ok: true, apiKey: 'k1' });
    const wrong = checkRestAuth(req(signed('0'.repeat(64))), ctx);
    expect(wrong).toMatchObject({ ok: false, reply: { status: 401, body: { code: 1401, msg: 'unauthorized' } } });
    expect(checkRestAuth(req(signed(SIGN, 'other')), ctx)).toMatchObject({ ok: false, reply: { status: 401, body: { code: 401, msg: 'signature-failed' } } });
    // the same body behind a query string is another payload
    expect(checkRestAuth(req(signed(), 'symbol=aaaa88'), ctx).ok).toBe(false);
    const q = 'symbol=aaaa88&size=10';
    expect(checkRestAuth({ ...req(signed(restSign(SECRET, EXPIRES, q))), method: 'GET', query: q, body: '' }, ctx).ok).toBe(true);
  });

  it('any: a well-formed sign is accepted unchecked, and said so; a malformed one is not', () => {
    const seen: string[] = [];
    const ctx = { credentials: [], authMode: 'any' as const, acceptedUnchecked: (w: string) => seen.push(w) };
    expect(checkRestAuth(req(signed('a'.repeat(64), 'whatever')), ctx)).toEqual({ ok: true, apiKey: 'whatever' });
    expect(seen).toEqual(['coinstore REST api key whatever']);
    expect(checkRestAuth(req({ ...signed(), 'X-CS-SIGN': 'xyz' }), ctx)).toMatchObject({ ok: false, reply: { body: { code: 3005 } } });
    expect(checkRestAuth(req({ 'X-CS-EXPIRES': EXPIRES, 'X-CS-SIGN': SIGN }), ctx)).toMatchObject({ ok: false, reply: { status: 401, body: { code: 401 } } });
  });
});

describe('plainDecimal', () => {
  it('JSON numbers as the document writes them (9.2e-10, 28000) become exact decimals', () => {
    expect(plainDecimal('9.2e-10')).toBe('0.00000000092');
    expect(plainDecimal('28000')).toBe('28000');
    expect(plainDecimal('1.5E3')).toBe('1500');
    expect(plainDecimal('0.000100')).toBe('0.0001');
    expect(plainDecimal('12e-1')).toBe('1.2');
    expect(plainDecimal('abc')).toBeNull();
  });
});
