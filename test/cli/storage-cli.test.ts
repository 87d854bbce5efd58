/**
 * The storage commands as a user runs them: `node dist/cli/main.js` child processes (built JS, as
 * CI builds before testing), checking stdout, stderr and exit codes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listSegments } from '../../store/journal/index.js';
import { genRecords, tmpDataDir, writeJournal, T0 } from '../store/seal/fixtures.js';

const MAIN = path.resolve('dist/cli/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ticktape(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, TICKTAPE_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

beforeAll(() => {
  if (!fs.existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: build first (npx tsc -p .)');
});

async function store(): Promise<string> {
  const data = tmpDataDir('cli');
  dirs.push(data);
  await writeJournal(data, 'cli-a', [
    genRecords(300, { connId: 'cli-a-k-1' }),
    [
      ...genRecords(100, { connId: 'cli-a-k-2', exchange: 'nexus', streams: ['BTC/USD'], startNs: T0 + 7n }),
      {
        exchange: 'nexus',
        connId: 'cli-a-k-2',
        seq: 101,
        recvNs: T0 + 1_000_000_000n,
        direction: 'event',
        kind: 'gap',
        stream: '',
        endpoint: 'wss://sim/nexus',
        payload: Buffer.from(JSON.stringify({ stream: 'BTC/USD', start_ns: String(T0), end_ns: String(T0 + 1_000_000_000n), cause: 'disconnect' })),
        flags: 4,
      },
    ],
  ]);
  return data;
}

describe('ticktape query / ls / seal / verify', () => {
  it('query prints csv and json for pipes, SQL errors exit 2 with the message', async () => {
    const data = await store();
    const csv = await ticktape('query', '--data', data, 'SELECT exchange, count(*) AS n FROM raw GROUP BY exchange ORDER BY exchange');
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe('exchange,n\ncoinstore,300\nnexus,101\n');
    const json = await ticktape('query', '--data', data, '--format', 'json', 'SELECT exchange, stream, count(*) AS n FROM gaps GROUP BY ALL');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([{ exchange: 'nexus', stream: 'BTC/USD', n: 1 }]);
    const table = await ticktape('query', '--data', data, '--format', 'table', 'SELECT 1 AS one, 22 AS two');
    expect(table.stdout).toBe('one  two\n---  ---\n  1   22\n(1 row)\n');
    const bad = await ticktape('query', '--data', data, 'SELECT nope FROM raw');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/SQL error: .*nope/);
    expect(bad.stdout).toBe('');
  });

  it('seal empties the journal, ls shows the inventory, query sees the same rows', async () => {
    const data = await store();
    const before = await ticktape('ls', '--data', data, '--format', 'json');
    expect(before.code).toBe(0);
    const inv = JSON.parse(before.stdout);
    expect(inv.journals).toEqual([{ instance: 'cli-a', closedSegments: 2, openSegments: 0, bytes: expect.any(Number) }]);
    expect(inv.streams.find((s: { stream: string }) => s.stream === 'BTC/USD')).toMatchObject({ exchange: 'nexus', frames: 86, records: 100, gaps: 1 });

    const sealed = await ticktape('seal', '--data', data, '--compact');
    expect(sealed.code).toBe(0);
    expect(sealed.stdout).toContain('401 records');
    expect(listSegments(data)).toHaveLength(0);

    const after = JSON.parse((await ticktape('ls', '--data', data, '--format', 'json')).stdout);
    expect(after.journals).toEqual([]);
    expect(after.streams).toEqual(inv.streams);
    expect(after.exchanges.map((e: { exchange: string }) => e.exchange)).toEqual(['coinstore', 'nexus']);
    const text = await ticktape('ls', '--data', data);
    expect(text.stdout).toMatch(/coinstore\s+btcusdt@trade\s+2026-01-15T10:00:00.000Z/);

    const n = await ticktape('query', '--data', data, 'SELECT count(*) FROM raw');
    expect(n.stdout).toBe('count_star()\n401\n');
  });

  it('verify: 0 when clean, 3 on a flipped byte in a Parquet file or in a journal segment', async () => {
    const data = await store();
    // One segment sealed, one left in the journal.
    const segs = listSegments(data);
    const keep = segs[1].path;
    const kept = fs.readFileSync(keep);
    fs.rmSync(keep);
    expect((await ticktape('seal', '--data', data)).code).toBe(0);
    fs.writeFileSync(keep, kept);
    const clean = await ticktape('verify', '--data', data);
    expect(clean.stdout).toContain('OK: no damage found.');
    expect(clean.code).toBe(0);

    const parquet = (function find(dir: string): string {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          const f = find(p);
          if (f) return f;
        } else if (e.name.endsWith('.parquet')) return p;
      }
      return '';
    })(path.join(data, 'raw'));
    const orig = fs.readFileSync(parquet);
    const flipped = Buffer.from(orig);
    flipped[Math.floor(orig.length / 2)] ^= 0x01;
    fs.writeFileSync(parquet, flipped);
    const bad = await ticktape('verify', '--data', data);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`DAMAGE  ${parquet}`);
    fs.writeFileSync(parquet, orig);
    expect((await ticktape('verify', '--data', data)).code).toBe(0);

    const seg = Buffer.from(kept);
    seg[Math.floor(seg.length / 2)] ^= 0x01;
    fs.writeFileSync(keep, seg);
    const badSeg = await ticktape('verify', '--data', data, '--json');
    expect(badSeg.code).toBe(3);
    const report = JSON.parse(badSeg.stdout);
    expect(report.findings.filter((f: { severity: string }) => f.severity === 'damage').map((f: { path: string }) => f.path)).toEqual([keep]);
  });

  it('seal recovers an open segment whose writer is dead', async () => {
    const data = tmpDataDir('cli-dead');
    dirs.push(data);
    const script = `
      import { openJournalWriter } from ${JSON.stringify(path.resolve('dist/store/journal/index.js'))};
      const w = openJournalWriter({ dataDir: ${JSON.stringify(data)}, instance: 'dead' });
      for (let i = 1; i <= 50; i++) w.append({ exchange: 'coinstore', connId: 'dead-k-1', seq: i, recvNs: ${T0}n + BigInt(i), direction: 'in', kind: 'text', stream: 's', endpoint: 'wss://x', payload: Buffer.from('frame ' + i), flags: 0 });
      w.flush();
      process.kill(process.pid, 'SIGKILL');`;
    await new Promise<void>((resolve) => execFile(process.execPath, ['--input-type=module', '-e', script], () => resolve()));
    expect(listSegments(data).filter((s) => s.open)).toHaveLength(1);
    const r = await ticktape('seal', '--data', data);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Recovered 1 open segment');
    expect(r.stdout).toContain('50 records');
    expect(listSegments(data)).toHaveLength(0);
    const q = await ticktape('query', '--data', data, 'SELECT count(*), min(seq), max(seq) FROM raw');
    expect(q.stdout.split('\n')[1]).toBe('50,1,50');
  });
});

// Every step is covered in-process (test/store/seal/seal-crash.test.ts); here three of them with a real SIGKILL.
describe('seal killed with SIGKILL, then `ticktape seal`', () => {
  for (const point of ['after-temp', 'after-rename-partial', 'after-state'] as const) {
    it(`SIGKILL ${point}: the next seal finishes, every record exactly once`, async () => {
      const data = tmpDataDir(`cli-kill-${point}`);
      dirs.push(data);
      await writeJournal(data, 'kill', [[...genRecords(150, { connId: 'kill-k-1' }), ...genRecords(50, { connId: 'kill-k-2', exchange: 'nexus', streams: ['BTC/USD'] })], genRecords(100, { connId: 'kill-k-3', startNs: T0 + 10_000_000_000n })]);
      const script = `
        import { sealClosedSegments } from ${JSON.stringify(path.resolve('dist/store/seal/sealer.js'))};
        await sealClosedSegments(${JSON.stringify(data)}, { crashAt: ${JSON.stringify(point)}, crashMode: 'kill' });
        process.exit(0);`;
      const signal = await new Promise<string | null>((resolve) => {
        const child = execFile(process.execPath, ['--input-type=module', '-e', script], () => undefined);
        child.on('exit', (_code, sig) => resolve(sig));
      });
      expect(signal).toBe('SIGKILL');
      expect(listSegments(data)).toHaveLength(2); // the crash hit the first segment: nothing deleted
      // The dead sealer's SEAL.LOCK names a dead pid: taken over.
      const r = await ticktape('seal', '--data', data);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('300 records');
      expect(listSegments(data)).toHaveLength(0);
      const q = await ticktape('query', '--data', data, 'SELECT count(*), count(DISTINCT (conn_id, seq)) FROM raw');
      expect(q.stdout.split('\n')[1]).toBe('300,300');
      expect((await ticktape('verify', '--data', data)).code).toBe(0);
    });
  }
});
