import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findEnvelope, restamp, Restamper } from '../../../exchanges/coinstore/restamp.js';
import { connect, startCoinstore } from './harness.js';

const b = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const t = (u: Uint8Array) => Buffer.from(u).toString('utf8');

describe('coinstore re-stamping of recorded frames', () => {
  it('replaces only the top-level S value; every other byte stays', () => {
    const rec = '{"S":4,"T":"trade","channel":"80004@trade","price":1.50,"big":12345678901234567890,"e":1e3,"u":"\\u00e9","x":"é€😀","data":[{"S":1}]}';
    expect(t(restamp(b(rec), 123456, 'abc'))).toBe(rec.replace('"S":4,', '"S":123456,'));
  });

  it('keeps whitespace, odd key order and nested or quoted "S"', () => {
    const rec = ' {  "note" : "\\"S\\":5" , "inner":{"S":2,"sid":"zz"}, "S" :  98765 ,"T":"depth"}\n';
    const out = t(restamp(b(rec), 3, 'new-sid'));
    expect(out).toBe(' {  "note" : "\\"S\\":5" , "inner":{"S":2,"sid":"zz"}, "S" :  3 ,"T":"depth"}\n');
  });

  it('replaces a top-level sid with the session id', () => {
    const rec = '{"S":12,"T":"resp","subs":[{"name":"80004@trade","msgCount":212}],"sid":"b1beeb73-7c84-862f-3d03-619de1e1a5dc"}';
    expect(t(restamp(b(rec), 2, '00000000-1111-2222-3333-444444444444'))).toBe('{"S":2,"T":"resp","subs":[{"name":"80004@trade","msgCount":212}],"sid":"00000000-1111-2222-3333-444444444444"}');
  });

  it('consecutive frames each get their own bytes: batches, sids, channels renamed or not, S of any length', () => {
    const outs: Array<{ got: Uint8Array; want: string }> = [];
    for (let i = 0; i < 300; i++) {
      const ch = i % 3 === 0 ? '4@trade' : 'btcusdt@trade';
      const seq = i % 5 === 0 ? 7 : 1_000_000_000 + i;
      let rec: string;
      let want: string;
      if (i % 4 === 0) {
        const els = Array.from({ length: (i % 7) + 1 }, (_, k) => `{"channel":"4@trade","price":"1.${k}","tradeId":${k}}`);
        rec = `{"S":${i},"T":"trade","data":[${els.join(',')}]}`;
        want = `{"S":${seq},"T":"trade","data":[${els.map((e) => e.replace('"4@trade"', JSON.stringify(ch))).join(',')}]}`;
      } else if (i % 4 === 1) {
        rec = `{"S":${i},"T":"resp","sid":"old-${i}","channel":"4@trade"}`;
        want = `{"S":${seq},"T":"resp","sid":"new-é","channel":${JSON.stringify(ch)}}`;
      } else {
        rec = `{"S":${i * 977},"T":"trade","channel":"4@trade","price":"6500${i}.1","x":"${'y'.repeat(i)}"}`;
        want = `{"S":${seq},"T":"trade","channel":${JSON.stringify(ch)},"price":"6500${i}.1","x":"${'y'.repeat(i)}"}`;
      }
      outs.push({ got: restamp(b(rec), seq, 'new-é', ch), want });
    }
    for (const o of outs) expect(t(o.got)).toBe(o.want);
  });

  it('a restamper writes each frame in place, at the length it planned, touching no byte around it', () => {
    const r = new Restamper();
    const frames = [
      '{"S":4,"T":"trade","channel":"4@trade","price":"1.5","x":"é"}',
      '{"S":12,"T":"resp","sid":"old","C":200}',
      `{"S":1,"T":"trade","data":[${Array.from({ length: 5000 }, (_, k) => `{"channel":"4@trade","tradeId":${k}}`).join(',')}]}`,
      '{"T":"no S here","channel":"4@trade"}',
      '{"S":7,"T":"trade","channel":"btcusdt@trade"}',
    ];
    const want = [
      '{"S":99,"T":"trade","channel":"btcusdt@trade","price":"1.5","x":"é"}',
      '{"S":100,"T":"resp","sid":"new-sid","C":200}',
      `{"S":101,"T":"trade","data":[${Array.from({ length: 5000 }, (_, k) => `{"channel":"btcusdt@trade","tradeId":${k}}`).join(',')}]}`,
      '{"T":"no S here","channel":"4@trade"}',
      '{"S":2e+21,"T":"trade","channel":"btcusdt@trade"}',
    ];
    const seqs = [99, 100, 101, 102, 2e21];
    frames.forEach((f, i) => {
      const n = r.plan(b(f), seqs[i], 'new-sid', 'btcusdt@trade');
      expect(n).toBe(Buffer.byteLength(want[i]));
      const out = Buffer.alloc(n + 20, 0xee);
      r.writeMessage(out, 10);
      expect(out.subarray(10, 10 + n).toString('utf8')).toBe(want[i]);
      expect([...out.subarray(0, 10), ...out.subarray(10 + n)].every((x) => x === 0xee)).toBe(true);
    });
  });

  it('leaves frames without a top-level S untouched', () => {
    for (const rec of ['{"data":[{"S":1}]}', '[1,2]', 'not json', '{"S":', '']) {
      const u = b(rec);
      expect(restamp(u, 5, 'x')).toBe(u);
    }
    const tricky = '{"a":[1,{"b":"}"}],"S":7}';
    expect(findEnvelope(b(tricky))?.S).toEqual({ start: tricky.indexOf('7'), end: tricky.indexOf('7') + 1 });
  });
});

describe('coinstore replay: recorded frames through a session', () => {
  let ctx: Awaited<ReturnType<typeof startCoinstore>>;
  beforeAll(async () => {
    ctx = await startCoinstore();
  });
  afterAll(async () => ctx.host.close());

  it("sends recorded bytes with this session's S and the channel as subscribed, identical otherwise", async () => {
    const { c } = await connect(ctx.url);
    try {
      await c.command({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 });
      const recorded = [
        '{"S":40211,"T":"trade","channel":"4@trade","price":"41732.3305","tradeId":14867136,"seq":14867136,"ts":1642495112000,"takerSide":"BUY","time":1642495112,"volume":"0.011102","symbol":"BTCUSDT","instrumentId":4}',
        '{"S":40212,"T":"trade","data":[{"channel":"4@trade","price":1.10,"tradeId":1,"seq":1,"ts":1,"takerSide":"SELL","time":0,"volume":"2","symbol":"BTCUSDT","instrumentId":4}]}',
      ];
      for (const r of recorded) ctx.feed.push('btcusdt@trade', { type: 'recorded', payload: b(r), binary: false, recvNs: 1n });
      const got = await c.take(2);
      // recorded as 4@trade, subscribed as btcusdt@trade: the push and every batch element say btcusdt@trade
      expect(got[0].text).toBe(recorded[0].replace('"S":40211', '"S":4').replace('"4@trade"', '"btcusdt@trade"'));
      expect(got[1].text).toBe(recorded[1].replace('"S":40212', '"S":5').replace('"4@trade"', '"btcusdt@trade"'));
      const list = await c.command({ op: 'LIST', channel: [], id: 2 });
      expect(list.echo.msg.S).toBe(6);
      expect((list.resp.msg.subs as Array<{ msgCount: number }>)[0].msgCount).toBe(2);
    } finally {
      c.close();
    }
  });

  it('a recording made with id channels serves subscribers by name and by id', async () => {
    const own = await startCoinstore({}, { only: ['4@trade'] });
    try {
      const { c } = await connect(own.url);
      const byName = await c.command({ op: 'SUB', channel: ['btcusdt@trade'], id: 1 });
      expect(byName.resp.msg.C).toBe(200);
      const byId = await c.command({ op: 'SUB', channel: ['4@trade'], id: 2 });
      expect(byId.resp.msg.C).toBe(200);
      expect(own.feed.subscribed()[0]).toEqual(['4@trade']);
      const rec = '{"S":77,"T":"trade","channel":"4@trade","price":"1","tradeId":5,"seq":5,"ts":1,"takerSide":"BUY","time":0,"volume":"1","symbol":"BTCUSDT","instrumentId":4}';
      own.feed.push('4@trade', { type: 'recorded', payload: b(rec), binary: false, recvNs: 1n });
      const got = await c.take(2);
      // each subscription gets the push under its own name
      expect(got.map((g) => g.msg.S)).toEqual([6, 7]);
      const noS = (t: string) => t.replace(/"S":\d+/, '"S":0');
      expect(got.map((g) => noS(g.text)).sort()).toEqual([noS(rec), noS(rec).replace('"4@trade"', '"btcusdt@trade"')].sort());
      const missing = await c.command({ op: 'SUB', channel: ['ethusdt@trade'], id: 3 });
      expect(missing.resp.msg).toMatchObject({ C: 400, payload: expect.stringContaining('no recorded stream') });
      c.close();
    } finally {
      await own.host.close();
    }
  });

  it('a recorded !@ticker stream is used as is when the feed has it', async () => {
    const own = await startCoinstore({}, { refuseAllTicker: false });
    try {
      const { c } = await connect(own.url);
      await c.command({ op: 'SUB', channel: ['!@ticker'], id: 1 });
      expect(own.feed.subscribed()[0]).toEqual(['!@ticker']);
      const rec =
        '{"S":9,"T":"ticker","channel":"!@ticker","data":[{"channel":"80002@ticker","open":"9996.24","high":"10048.6601","low":"9768.90178","close":"9833.12538","volume":"3362.405","amount":"33212664.57170620732","symbol":"BTCUSD","instrumentId":80002}]}';
      own.feed.push('!@ticker', { type: 'recorded', payload: b(rec), binary: false, recvNs: 1n });
      expect((await c.next()).text).toBe(rec.replace('"S":9', '"S":4'));
      c.close();
    } finally {
      await own.host.close();
    }
  });
});
