/**
 * Gaps and quality on a recording with injected faults: the simulator drops every connection
 * (no close frame) every 1.5 s and mangles 2% of the data frames. The gaps the recorder wrote must
 * show in `gaps` and in `quality`, and quality's figures must equal the same figures computed here
 * from the raw frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../../analysis/scripts.js';
import { big, num, recordFixture, rowsOf, withAnalysis, type Fixture, type Row } from './fixture.js';

let fx: Fixture;

beforeAll(async () => {
  fx = await recordFixture({ faults: { dropEverySeconds: 1.5, malformedRate: 0.02 }, minFrames: 150, minReconnects: 2 });
}, 120_000);

afterAll(() => fx?.cleanup());

describe('gaps and quality with injected faults', () => {
  it('every gap event the recorder wrote is a gaps row, and quality counts them per stream', async () => {
    expect(fx.faults.drops).toBeGreaterThan(4);
    await withAnalysis(fx.data, async (t) => {
      const events = await rowsOf(t.conn, `SELECT exchange, conn_id, seq, decode(payload) AS p FROM raw WHERE direction = 'event' AND kind = 'gap'`);
      const gaps = await rowsOf(t.conn, `SELECT exchange, stream, cause, start_ns, end_ns, conn_id, seq FROM gaps`);
      const quality = await rowsOf(t.conn, `SELECT * FROM quality`);
      expect(events.length).toBeGreaterThan(4);
      expect(gaps.length).toBe(events.length);
      const gapKeys = new Set(gaps.map((g) => `${String(g.conn_id)}|${String(g.seq)}`));
      for (const e of events) expect(gapKeys.has(`${String(e.conn_id)}|${String(e.seq)}`)).toBe(true);
      const causes = new Set(gaps.map((g) => g.cause));
      expect(causes.has('disconnect')).toBe(true);
      // Every exchange lost its connections; each one's gaps are in quality.
      expect(new Set(gaps.map((g) => g.exchange)).size).toBe(4);
      for (const q of quality) {
        const mine = gaps.filter((g) => g.exchange === q.exchange && (g.stream === q.stream || g.stream === ''));
        expect(num(q.gaps), `${String(q.exchange)} ${String(q.stream)}`).toBe(mine.length);
        expect(num(q.sequence_gaps)).toBe(mine.filter((g) => g.cause === 'sequence').length);
        const seconds = mine.reduce((a, g) => a + Number(big(g.end_ns) - big(g.start_ns)) / 1e9, 0);
        expect(Math.abs(num(q.gap_seconds) - seconds)).toBeLessThan(1e-6);
      }
      const withGaps = quality.filter((q) => num(q.gaps) > 0);
      expect(new Set(withGaps.map((q) => q.exchange)).size).toBe(4);
    });
  });

  it('frames, malformed, repeats, quiet periods and the longest silence equal figures computed from the raw frames', async () => {
    await withAnalysis(fx.data, async (t) => {
      const frames = await rowsOf(t.conn, `SELECT exchange, stream, conn_id, seq, recv_ns, malformed, flags FROM raw WHERE direction = 'in' ORDER BY exchange, stream, recv_ns, conn_id, seq`);
      const quality = await rowsOf(t.conn, `SELECT * FROM quality`);
      const byStream = new Map<string, Row[]>();
      for (const f of frames) {
        const k = `${String(f.exchange)}|${String(f.stream)}`;
        const l = byStream.get(k);
        if (l) l.push(f);
        else byStream.set(k, [f]);
      }
      expect(quality.length).toBe(byStream.size);
      let malformed = 0;
      let quietSeen = 0;
      for (const q of quality) {
        const fs = byStream.get(`${String(q.exchange)}|${String(q.stream)}`)!;
        expect(num(q.frames)).toBe(fs.length);
        const first = big(fs[0].recv_ns);
        const last = big(fs[fs.length - 1].recv_ns);
        const spanS = Number(last - first) / 1e9;
        expect(num(q.frames_per_s)).toBeCloseTo(fs.length / Math.max(spanS, 1), 6);
        expect(num(q.malformed)).toBe(fs.filter((f) => f.malformed).length);
        expect(num(q.repeated_frames)).toBe(fs.filter((f) => (num(f.flags) & 8) !== 0).length);
        expect(num(q.out_of_order)).toBe(0);
        malformed += num(q.malformed);
        // Silences of the stream, across its connections, by receive time.
        const threshold = Math.max(1e9, (10 * Number(last - first)) / fs.length);
        let quiet = 0;
        let maxDt = 0;
        for (let i = 1; i < fs.length; i++) {
          const dt = Number(big(fs[i].recv_ns) - big(fs[i - 1].recv_ns));
          if (dt > threshold) quiet++;
          maxDt = Math.max(maxDt, dt);
        }
        expect(num(q.quiet_periods), `${String(q.exchange)} ${String(q.stream)}`).toBe(quiet);
        // Exact from one second up (shorter silences may hide inside a second).
        if (maxDt >= 1e9) expect(num(q.max_quiet_s)).toBeCloseTo(maxDt / 1e9, 9);
        else expect(num(q.max_quiet_s)).toBeLessThan(1);
        quietSeen += quiet;
      }
      expect(malformed).toBeGreaterThan(0);
      expect(malformed).toBeLessThanOrEqual(fx.faults.malformed);
      expect(quietSeen).toBeGreaterThanOrEqual(0);
    });
  });

  it('the gaps and quality scripts report them', async () => {
    await withAnalysis(fx.data, async (t) => {
      const g = await runScript(t.conn, 'gaps', {});
      expect(g.getRows().length).toBeGreaterThan(4);
      expect(g.columnNames()).toEqual(['exchange', 'stream', 'cause', 'start_ts', 'end_ts', 'seconds', 'lost_frames', 'detail']);
      const q = await runScript(t.conn, 'quality', { exchange: 'coinstore' });
      const rows = q.getRowObjectsJS();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.exchange === 'coinstore')).toBe(true);
      expect(rows.some((r) => num(r.gaps) > 0)).toBe(true);
    });
  });
});
