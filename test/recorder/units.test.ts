/** The recorder's pure parts: backoff, sequence gaps, the stitch, retention, group matching, clock parsing, ids. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { backoffDelayMs } from '../../recorder/backoff.js';
import { ConnectGate } from '../../recorder/connect-gate.js';
import { ConnIdFactory } from '../../recorder/conn-id.js';
import { parseChronyTracking, parseTimedatectl, clockPayload } from '../../recorder/clock-probe.js';
import { judgeFrame, newCursor, pastHandoff, type FrameKey } from '../../recorder/handoff.js';
import { matchGroups, type PlannedGroup } from '../../recorder/group-plan.js';
import { resolveInstanceId, sanitizeHostname } from '../../recorder/instance-id.js';
import { datesToDelete, applyRetention } from '../../recorder/retention.js';
import { SequenceTracker } from '../../recorder/sequence-tracker.js';
import { staleThresholdMs } from '../../recorder/stream-state.js';
import { formatStatusLines } from '../../recorder/status-line.js';
import type { StreamSpec } from '../../exchanges/types.js';
import { segmentStartMs } from '../../recorder/recorder.js';
import { tmpDir } from './harness.js';

const key = (k: Partial<FrameKey>): FrameKey => ({ seqMin: null, seqMax: null, tsMs: null, recvNs: 0n, ...k });
const spec = (k: string, endpoint = 'ws'): StreamSpec => ({ key: k, kind: 'trade', symbol: null, endpoint, private: false, params: {}, quietMs: 1000 });

describe('backoff', () => {
  it('grows exponentially to the cap, with jitter in the upper half', () => {
    const p = { initialMs: 500, maxMs: 30_000 };
    expect([0, 1, 2, 3].map((a) => backoffDelayMs(p, a, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((a) => backoffDelayMs(p, a, () => 0.999999))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelayMs(p, 50, () => 0.5)).toBe(22_500);
  });

  it('spaces connects to one exchange and honours a rate-limit pause', () => {
    let now = 1000;
    const gate = new ConnectGate(100, () => now);
    expect([gate.reserve(), gate.reserve(), gate.reserve()]).toEqual([0, 100, 200]);
    now = 5000;
    expect(gate.reserve()).toBe(0);
    gate.pauseUntil(65_000);
    expect(gate.reserve()).toBe(60_000);
    expect(gate.reserve(now + 70_000)).toBe(70_000);
  });
});

describe('sequence tracker', () => {
  it('reports holes, not repeats', () => {
    const t = new SequenceTracker();
    expect(t.observe('s', 5, 10n)).toBeNull();
    expect(t.observe('s', 6, 11n)).toBeNull();
    expect(t.observe('s', 6, 12n)).toBeNull(); // repeat
    expect(t.observe('s', 3, 13n)).toBeNull(); // older
    expect(t.observe('s', 9, 14n)).toEqual({ scope: 's', expected: 7, got: 9, lost: 2, startNs: 11n, endNs: 14n });
    expect(t.observe('other', 100, 15n)).toBeNull(); // scopes are independent
    t.seed('s', 20, 16n);
    expect(t.observe('s', 21, 17n)).toBeNull();
  });
});

describe('stitching connections (handoff.ts)', () => {
  it('by sequence: exact, whichever connection a value arrives on', () => {
    const c = newCursor();
    expect(judgeFrame(c, 'A', key({ seqMin: 10, seqMax: 10 }))).toBe(false);
    expect(judgeFrame(c, 'A', key({ seqMin: 11, seqMax: 11 }))).toBe(false);
    expect(judgeFrame(c, 'B', key({ seqMin: 11, seqMax: 11 }))).toBe(true); // the new connection repeats 11
    expect(judgeFrame(c, 'B', key({ seqMin: 12, seqMax: 12 }))).toBe(false);
    expect(judgeFrame(c, 'A', key({ seqMin: 12, seqMax: 12 }))).toBe(true); // the old one lags behind
    expect(judgeFrame(c, 'A', key({ seqMin: 9, seqMax: 13 }))).toBe(false); // a batch with something new
  });

  it('by timestamp: a frame of another connection at or before the last accepted one is a duplicate', () => {
    const c = newCursor();
    expect(judgeFrame(c, 'A', key({ tsMs: 1000 }))).toBe(false);
    expect(judgeFrame(c, 'A', key({ tsMs: 1000 }))).toBe(false); // one connection never duplicates itself
    expect(judgeFrame(c, 'B', key({ tsMs: 1000 }))).toBe(true);
    expect(judgeFrame(c, 'B', key({ tsMs: 1100 }))).toBe(false);
    expect(judgeFrame(c, 'A', key({ tsMs: 1100 }))).toBe(true);
    expect(judgeFrame(c, 'A', key({ tsMs: 1200 }))).toBe(false);
  });

  it('without a key: the handoff point decides, and the cursor is left alone', () => {
    const c = newCursor();
    expect(judgeFrame(c, 'A', key({ recvNs: 5n }))).toBeNull();
    expect(c).toEqual(newCursor());
    expect(pastHandoff(undefined, 10n)).toBe(false);
    expect(pastHandoff(10n, 9n)).toBe(false);
    expect(pastHandoff(10n, 10n)).toBe(true);
  });
});

describe('retention', () => {
  const files = [
    { date: '2026-11-01', bytes: 4 * 1024 ** 3 },
    { date: '2026-11-02', bytes: 3 * 1024 ** 3 },
    { date: '2026-11-20', bytes: 2 * 1024 ** 3 },
    { date: '2026-11-23', bytes: 1 * 1024 ** 3 },
  ];
  it('drops days older than N days, then the oldest days until under N GB, never today', () => {
    expect(datesToDelete(files, { days: 10, maxGb: null }, '2026-11-23')).toEqual(['2026-11-01', '2026-11-02']);
    expect(datesToDelete(files, { days: null, maxGb: 5 }, '2026-11-23')).toEqual(['2026-11-01', '2026-11-02']);
    expect(datesToDelete(files, { days: null, maxGb: 7 }, '2026-11-23')).toEqual(['2026-11-01']);
    expect(datesToDelete(files, { days: null, maxGb: 0.1 }, '2026-11-23')).toEqual(['2026-11-01', '2026-11-02', '2026-11-20']);
    expect(datesToDelete(files, { days: null, maxGb: null }, '2026-11-23')).toEqual([]);
  });

  it('deletes whole days of sealed files across tables and leaves the journal alone', () => {
    const data = tmpDir('tt-ret-');
    try {
      const mk = (table: string, date: string) => {
        const d = path.join(data, table, 'exchange=coinstore', `date=${date}`);
        fs.mkdirSync(d, { recursive: true });
        fs.writeFileSync(path.join(d, `inst-a-20261101T000000Z-abc-000001.parquet`), 'x'.repeat(100));
        return d;
      };
      const old1 = mk('raw', '2026-10-01');
      const old2 = mk('trades', '2026-10-01');
      const keep = mk('raw', '2026-11-22');
      fs.mkdirSync(path.join(data, 'journal', 'inst-a'), { recursive: true });
      fs.writeFileSync(path.join(data, 'journal', 'inst-a', 'x.ttj'), 'j');
      const r = applyRetention(data, { days: 30, maxGb: null }, new Date('2026-11-23T12:00:00Z'));
      expect(r.deletedFiles).toBe(2);
      expect(r.deletedDates).toEqual(['2026-10-01']);
      expect(fs.existsSync(old1) || fs.existsSync(old2)).toBe(false);
      expect(fs.readdirSync(keep).length).toBe(1);
      expect(fs.existsSync(path.join(data, 'journal', 'inst-a', 'x.ttj'))).toBe(true);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('reload matching', () => {
  it('keeps unchanged connections, grows overlapping ones, opens new ones, closes the rest', () => {
    const existing = [
      { id: 1, exchange: 'coinstore', endpoint: 'ws', keys: new Set(['a', 'b']) },
      { id: 2, exchange: 'coinsuper', endpoint: 'mqtt', keys: new Set(['t1']) },
      { id: 3, exchange: 'coinsuper', endpoint: 'mqtt', keys: new Set(['t2']) },
    ];
    const planned: PlannedGroup[] = [
      { exchange: 'coinstore', endpoint: 'ws', streams: [spec('a'), spec('b'), spec('c')] },
      { exchange: 'coinsuper', endpoint: 'mqtt', streams: [spec('t1', 'mqtt')] },
      { exchange: 'coinsuper', endpoint: 'mqtt', streams: [spec('t3', 'mqtt')] },
    ];
    const m = matchGroups(existing, planned);
    expect(m.keep.map((k) => [k.existing.id, k.next.streams.map((s) => s.key).join()])).toEqual([
      [2, 't1'],
      [1, 'a,b,c'],
    ]);
    expect(m.create.map((g) => g.streams[0].key)).toEqual(['t3']);
    expect(m.remove.map((e) => e.id)).toEqual([3]);
  });
});

describe('small parts', () => {
  it('reads timedatectl', () => {
    expect(parseTimedatectl('Timezone=UTC\nNTP=yes\nNTPSynchronized=yes\n')).toEqual({ synced: true, source: 'systemd-timesyncd' });
    expect(parseTimedatectl('NTPSynchronized=no\n')).toEqual({ synced: false });
    expect(parseTimedatectl('')).toEqual({ synced: null });
    expect(parseChronyTracking('Reference ID    : A9FEA97B (169.254.169.123)\nRoot dispersion : 0.000350 seconds\nLeap status     : Normal\n')).toEqual({ synced: true, source: 'chrony', maxErrorUs: 350 });
    expect(parseChronyTracking('Leap status     : Not synchronised\n')).toMatchObject({ synced: false });
    expect(parseChronyTracking('506 Cannot talk to daemon')).toEqual({ synced: null });
    const p = clockPayload({ synced: null });
    expect(p.ntp_synced).toBeNull();
    expect(Math.abs(Number(BigInt(p.drift_ns))) < 60e9).toBe(true);
  });

  it('makes instance ids and connection ids', () => {
    expect(sanitizeHostname('My_VPS.example.COM')).toBe('my-vps-example-com');
    const data = tmpDir('tt-inst-');
    try {
      const id = resolveInstanceId(data, null, 'box');
      expect(id).toMatch(/^box-[0-9a-f]{6}$/);
      expect(resolveInstanceId(data, null, 'other')).toBe(id); // kept in <data>/instance-id
      expect(resolveInstanceId(data, 'explicit-1')).toBe('explicit-1');
      expect(() => resolveInstanceId(data, 'Bad Id')).toThrow(/1-40 characters/);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
    const f = new ConnIdFactory('box-abc123', 36 ** 3);
    expect([f.next(), f.next()]).toEqual(['box-abc123-1000-1', 'box-abc123-1000-2']);
  });

  it('reads a journal segment start from its name', () => {
    expect(segmentStartMs('/d/journal/box/20261123T110502Z-mwt5-000001.ttj.open')).toBe(Date.UTC(2026, 10, 23, 11, 5, 2));
    expect(segmentStartMs(null)).toBeNull();
    expect(segmentStartMs('/d/other')).toBeNull();
  });

  it('derives stale thresholds and draws status lines', () => {
    expect(staleThresholdMs({ ...spec('a'), quietMs: 10_000 }, 3, 5000)).toBe(30_000);
    expect(staleThresholdMs({ ...spec('a'), quietMs: 100 }, 3, 5000)).toBe(5000);
    expect(staleThresholdMs(spec('a'), 3, 5000, 1234)).toBe(1234);
    const lines = formatStatusLines({
      status: 'ok',
      instance: 'i',
      uptime_s: 1,
      streams: [
        { exchange: 'coinstore', stream: 'btcusdt@trade', connected: true, conn_id: 'c', frames: 12, frames_per_s: 3.5, last_frame_age_ms: 100, stale_after_ms: 1, reconnects: 0, gaps: 0, malformed: 0, open_gap: null, refused: null, silent: false },
      ],
      open_gaps: 0,
      alerts: [],
      alerts_total: 0,
      journal: null,
      disk: null,
      seal: null,
    });
    expect(lines[0]).toMatch(/^coinstore\s+btcusdt@trade\s+up\s+3\.5\/s\s+last\s+0\.1s\s+frames\s+12/);
    expect(lines[1]).toMatch(/^\[ok\] i/);
  });
});
