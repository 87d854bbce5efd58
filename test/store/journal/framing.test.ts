import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES, RECORD_HEADER_BYTES, decodeRecordBytes, decodeSegmentHeader, encodeRecord, encodeSegmentHeader } from '../../../store/journal/framing.js';
import { crc32 } from 'node:zlib';
import { frame, view } from './helpers.js';

describe('journal framing', () => {
  it('lays out a record byte by byte as documented', () => {
    const rec = { ...frame(258, { size: 0 }), exchange: 'ab', connId: 'c', stream: 's', endpoint: 'e', payload: Buffer.from([0xff, 0x00]), flags: 5, recvNs: 0x0102030405060708n };
    const b = encodeRecord(rec);
    // magic E5 D7, length, crc
    expect(b.subarray(0, 2).toString('hex')).toBe('e5d7');
    const bodyLen = b.readUInt32LE(2);
    expect(bodyLen).toBe(b.length - RECORD_HEADER_BYTES);
    expect(b.readUInt32LE(6)).toBe(crc32(b.subarray(10)));
    // body: type 1, flags 5, recv_ns LE, seq LE u64, direction in=1, kind text=1
    expect(b.subarray(10).toString('hex')).toBe(
      [
        '01',
        '05',
        '0807060504030201',
        '0201000000000000',
        '01',
        '01',
        '02',
        '6162', // exchange
        '01',
        '63', // conn id
        '0100',
        '73', // stream
        '0100',
        '65', // endpoint
        '02000000',
        'ff00', // payload
      ].join(''),
    );
    expect(view(decodeRecordBytes(b))).toEqual(view(rec));
  });

  it('round-trips binary, empty and unicode fields exactly', () => {
    for (const rec of [
      frame(1, { binary: true, size: 1000 }),
      frame(2, { size: 0 }),
      { ...frame(3), stream: 'ビットコイン/β@depth', connId: 'ü-1', exchange: 'nexus' },
      { ...frame(Number.MAX_SAFE_INTEGER), recvNs: -5n, direction: 'event' as const, kind: 'gap' as const },
    ]) {
      expect(view(decodeRecordBytes(encodeRecord(rec)))).toEqual(view(rec));
    }
  });

  it('rejects a flipped bit anywhere in a record', () => {
    const b = encodeRecord(frame(7, { size: 30 }));
    for (let i = 0; i < b.length; i++) {
      const c = Buffer.from(b);
      c[i] ^= 0x10;
      expect(() => decodeRecordBytes(c), `byte ${i}`).toThrow(RangeError);
    }
  });

  it('refuses records it cannot frame', () => {
    expect(() => encodeRecord({ ...frame(1), exchange: 'x'.repeat(256) })).toThrow(/exchange/);
    expect(() => encodeRecord({ ...frame(1), seq: -1 })).toThrow(/seq/);
    expect(() => encodeRecord({ ...frame(1), payload: Buffer.alloc(0), kind: 'nope' as never })).toThrow(/kind/);
    expect(MAX_RECORD_BYTES).toBe(64 * 1024 * 1024);
  });

  it('encodes and checks the segment header', () => {
    const h = encodeSegmentHeader('rec-1', '20261123T100000Z-abc-000001');
    expect(h.subarray(0, 4).toString()).toBe('TTJ1');
    expect(decodeSegmentHeader(h, h.length)).toEqual({ version: 1, instance: 'rec-1', name: '20261123T100000Z-abc-000001', length: h.length });
    expect(decodeSegmentHeader(h, h.length - 1)).toBeNull();
    const bad = Buffer.from(h);
    bad[12] ^= 1;
    expect(decodeSegmentHeader(bad, bad.length)).toBeNull();
  });
});
