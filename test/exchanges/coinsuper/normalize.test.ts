/** Every Coinsuper fixture normalizes to its hand-checked rows; trade windows are de-duplicated. */
import { describe, expect, it } from 'vitest';
import { generate } from 'mqtt-packet';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import { parseJsonLossless, JsonNumber } from '../../../exchanges/coinsuper/json-lossless.js';
import { fixture, PAYLOAD_FIXTURES, publishFrame, rawFrame, type PayloadFixture } from './fixtures.js';

describe('coinsuper normalization of the documented samples', () => {
  for (const name of PAYLOAD_FIXTURES) {
    it(`${name}: ${fixture<PayloadFixture>(name).description}`, () => {
      const f = fixture<PayloadFixture>(name);
      const n = coinsuper.createNormalizer();
      expect(n.normalize(rawFrame(f.topic, publishFrame(f.topic, f.payload)))).toEqual(f.expected);
    });
  }

  it('reads the 30-decimal balances as their exact text, not through a float', () => {
    const f = fixture<PayloadFixture>('asset');
    const rows = coinsuper.createNormalizer().normalize(rawFrame(f.topic, publishFrame(f.topic, f.payload))) as Array<{ available: string }>;
    expect(rows[0].available).toBe('0.738763122563248000000000000000');
    expect(String(JSON.parse(f.payload).asset[0].available)).not.toBe(rows[0].available); // what JSON.parse would have kept
  });

  it('reads every PUBLISH of a frame that carries several packets, and ignores control packets', () => {
    const book = fixture<PayloadFixture>('orderbook');
    const kline = fixture<PayloadFixture>('kline');
    const frame = Buffer.concat([generate({ cmd: 'pingresp' }), publishFrame(book.topic, book.payload, 1, 9), publishFrame(kline.topic, kline.payload, 2, 10)]);
    expect(coinsuper.createNormalizer().normalize(rawFrame(book.topic, frame))).toEqual([...book.expected, ...kline.expected]);
  });

  it('yields nothing for control frames, text frames, garbage and non-JSON payloads', () => {
    const n = coinsuper.createNormalizer();
    const book = fixture<PayloadFixture>('orderbook');
    expect(n.normalize(rawFrame('', generate({ cmd: 'connack', returnCode: 0, sessionPresent: false })))).toEqual([]);
    expect(n.normalize({ ...rawFrame(book.topic, publishFrame(book.topic, book.payload)), kind: 'text' })).toEqual([]);
    expect(n.normalize(rawFrame(book.topic, Buffer.from('garbage')))).toEqual([]);
    expect(n.normalize(rawFrame(book.topic, publishFrame(book.topic, '{"asks":[')))).toEqual([]);
    expect(n.normalize(rawFrame('x', publishFrame('some/other/topic', book.payload)))).toEqual([]);
  });
});

describe('coinsuper trade-window de-duplication', () => {
  interface Overlap {
    topic: string;
    frames: Array<{ note: string; payload: string; expected: Array<Record<string, unknown>> }>;
  }
  const f = fixture<Overlap>('tickers-overlap');

  it('emits each trade once across overlapping windows (one normalizer)', () => {
    const n = coinsuper.createNormalizer();
    for (const frame of f.frames) {
      expect(n.normalize(rawFrame(f.topic, publishFrame(f.topic, frame.payload))), frame.note).toEqual(frame.expected);
    }
  });

  it('gives the same rows when the state is carried through JSON between every frame (seal runs)', () => {
    let state: unknown = undefined;
    for (const frame of f.frames) {
      const n = coinsuper.createNormalizer(state);
      expect(n.normalize(rawFrame(f.topic, publishFrame(f.topic, frame.payload))), frame.note).toEqual(frame.expected);
      state = JSON.parse(JSON.stringify(n.state()));
    }
    // the state stays about one window in size
    const windows = (state as { windows: Record<string, { seen: Record<string, number> }> }).windows;
    expect(Object.keys(windows[f.topic].seen).length).toBeLessThanOrEqual(4);
  });

  it('keeps streams apart and gives a fresh normalizer the same synthetic ids (mergeable by id)', () => {
    const other = f.topic.replace('BTC_USD', 'ETH_USD');
    const n = coinsuper.createNormalizer();
    const a = n.normalize(rawFrame(f.topic, publishFrame(f.topic, f.frames[0].payload)));
    const b = n.normalize(rawFrame(other, publishFrame(other, f.frames[0].payload)));
    expect(b).toEqual(a); // the other stream has its own window state
    const fresh = coinsuper.createNormalizer().normalize(rawFrame(f.topic, publishFrame(f.topic, f.frames[1].payload)));
    const ids = fresh.map((r) => (r as { trade_id: string }).trade_id);
    expect(ids).toEqual([...f.frames[0].expected, ...f.frames[1].expected].map((r) => r.trade_id).sort());
  });

  it('ignores a state it does not recognise', () => {
    const n = coinsuper.createNormalizer({ something: 'else' });
    expect(n.normalize(rawFrame(f.topic, publishFrame(f.topic, f.frames[0].payload)))).toEqual(f.frames[0].expected);
  });
});

describe('lossless JSON reader', () => {
  it('keeps numbers as text and decodes strings', () => {
    const v = parseJsonLossless('{"a":[1,-2.50,3e5,"x\\"y\\u00e9"],"b":true,"c":null,"d":{}}') as Record<string, unknown>;
    const a = v.a as unknown[];
    expect(a.slice(0, 3).map((x) => (x as JsonNumber).text)).toEqual(['1', '-2.50', '3e5']);
    expect(a[3]).toBe('x"yé');
    expect(v.b).toBe(true);
    expect(v.c).toBeNull();
    expect(v.d).toEqual({});
  });

  it('rejects malformed JSON and absurd nesting', () => {
    for (const bad of ['{"a":}', '[1,]', '{"a":1} x', '"open', '01', '['.repeat(100) + ']'.repeat(100)]) {
      expect(() => parseJsonLossless(bad), bad).toThrow(SyntaxError);
    }
  });
});

describe('JSON fast path', () => {
  it('takes JSON.parse only when every number is a small integer', async () => {
    const { parseJson } = await import('../../../exchanges/coinsuper/json-lossless.js');
    expect(parseJson('{"a":"1.5","t":1532686075803}')).toEqual({ a: '1.5', t: 1532686075803 });
    for (const text of ['{"a":1.5}', '[1e3]', '{"a": -0.738763122563248000000000000000}', '{"n":12345678901234567}', '[1, 2.0]']) {
      const v = parseJson(text);
      expect(JSON.stringify(v), text).toContain('"text"'); // JsonNumber instances: exact text kept
    }
  });
});
