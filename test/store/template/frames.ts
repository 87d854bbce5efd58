/** Frames for the payload-template tests: every exchange's fixtures, generated feeds, and hard cases. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shape, SHAPES } from '../../../bench/peers/shapes.js';
import { MARKET_FIXTURES } from '../../../exchanges/coinceres/fixtures/market.js';
import { NOTIFY_FIXTURES } from '../../../exchanges/coinceres/fixtures/notify.js';
import { TRADE_FIXTURES } from '../../../exchanges/coinceres/fixtures/trade.js';
import { FIXTURES as COINSTORE_FIXTURES } from '../../../exchanges/coinstore/fixtures/messages.js';
import { publishPacket } from '../../../exchanges/coinsuper/packets.js';

export interface TestFrame {
  name: string;
  payload: Uint8Array;
  binary: boolean;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../exchanges');
const text = (name: string, s: string): TestFrame => ({ name, payload: Buffer.from(s, 'utf8'), binary: false });

function coinsuperFrames(): TestFrame[] {
  const out: TestFrame[] = [];
  const dir = path.join(root, 'coinsuper/fixtures');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as unknown;
    const items = Array.isArray(doc) ? doc : [doc];
    for (const it of items as Array<{ topic?: string; payload?: unknown }>) {
      if (typeof it?.payload !== 'string') continue;
      out.push(text(`coinsuper ${f} payload`, it.payload));
      if (typeof it.topic === 'string') {
        for (const qos of [0, 1] as const) out.push({ name: `coinsuper ${f} PUBLISH qos ${qos}`, payload: publishPacket(it.topic, Buffer.from(it.payload), qos, qos ? 0x7b7b : undefined), binary: true });
      }
    }
  }
  return out;
}

function nexusFrames(): TestFrame[] {
  const dir = path.join(root, 'nexus/fixtures');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json'))
    .flatMap((f) => {
      const s = fs.readFileSync(path.join(dir, f), 'utf8');
      let compact: string | null = null;
      try {
        compact = JSON.stringify(JSON.parse(s));
      } catch {
        /* kept as written */
      }
      return [text(`nexus ${f} as written`, s), ...(compact ? [text(`nexus ${f} compact`, compact)] : [])];
    });
}

/** Frames that stress the tokenizer and the rebuild. */
export const HARD_CASES: TestFrame[] = [
  text('escapes and unicode', '{"s":"a\\"b\\\\","u":"\\u00e9 é 😀","k\\"q":1,"n":-12,"z":-0,"e":1.5e-7,"big":123456789012345678901234,"lz":"007","f":"0.0000","t":true,"x":null}'),
  text('decimals at the edges', '{"a":"0.5","b":"10.0","c":"999999999999.123","d":"0.000000000000001","e":"1.1234567890123456","f":"-0.5","g":".5","h":"5."}'),
  text('ints at the edges', `[0,1,-1,${Number.MAX_SAFE_INTEGER},${Number.MAX_SAFE_INTEGER + 2},-${Number.MAX_SAFE_INTEGER},"9007199254740993"]`),
  text('many holes', JSON.stringify({ b: Array.from({ length: 300 }, (_, i) => [`${64000 + i}.5`, `${i}.0001`]) })),
  text('whitespace around keys', '{ "a" : 1 , "b" :"x" ,\n\t"c":[ 1 , 2 ] }'),
  text('not JSON', 'ping 17 at 12:00:05.250'),
  text('unterminated string', '{"a":"abc'),
  text('byte order mark', '\ufeff{"a":1}'),
  text('separator character', '{"a":"x\u001fy","b":2}'),
  text('only literals', '{"a":{},"b":[]}'),
  text('empty', ''),
  { name: 'invalid UTF-8', payload: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x7d]), binary: false },
  { name: 'binary without text', payload: Uint8Array.from([0, 1, 2, 0x7b, 0, 0xff]), binary: true },
  { name: 'binary head with a brace byte', payload: Uint8Array.from([0x30, 0x7b, 0x00, 0x03, 0x61, 0x2f, 0x62, ...Buffer.from('{"p":"1.25","q":3}')]), binary: true },
  { name: 'NULs', payload: Uint8Array.from([0, 0, 0]), binary: true },
];

export function allFrames(generatedPerShape = 300): TestFrame[] {
  const out: TestFrame[] = [
    ...COINSTORE_FIXTURES.map((f) => text(`coinstore ${f.name}`, f.text)),
    ...[...MARKET_FIXTURES, ...NOTIFY_FIXTURES, ...TRADE_FIXTURES].map((f) => text(`coinceres ${f.name}`, f.raw)),
    ...coinsuperFrames(),
    ...nexusFrames(),
    ...HARD_CASES,
  ];
  for (const s of SHAPES) for (const r of shape(s).frames(generatedPerShape)) out.push({ name: `${s} #${r.seq}`, payload: r.payload, binary: r.kind === 'binary' });
  return out;
}
