/**
 * The sealing child process lives no longer than its recorder: after a SIGKILL of the recorder, or
 * a second stop signal, it stops (leaving what it had not sealed in the journal, crash-safe), and
 * the next recorder seals everything — a seal lock left by a dead sealer is taken over.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listSegments, openJournalWriter } from '../../store/journal/index.js';
import { acquireSealLock, processStartTime, SEAL_LOCK_FILE } from '../../store/seal/seal-lock.js';
import { ROOT, RecorderProcess, getJson, tmpDir, until } from './harness.js';

const INSTANCE = 'sealkid';
/** A backlog that takes the seal child seconds: it is still at work when its parent goes. */
const SEGMENTS = 8;
const RECORDS_PER_SEGMENT = 40_000;

let dir: string;
let data: string;
const procs: RecorderProcess[] = [];

beforeEach(() => {
  dir = tmpDir('tt-sealkid-');
  data = path.join(dir, 'data');
});

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

/** Closed journal segments of an earlier run, one per hour (the journal never spans two). */
async function writeBacklog(): Promise<void> {
  const hourNs = 3_600_000_000_000n;
  const base = ((BigInt(Date.now()) * 1_000_000n) / hourNs) * hourNs - BigInt(SEGMENTS + 1) * hourNs;
  const payload = Buffer.from('{"T":"trade","S":1,"data":{"price":"1.5","volume":"2"}}');
  for (let seg = 0; seg < SEGMENTS; seg++) {
    let t = base + BigInt(seg) * hourNs;
    const j = openJournalWriter({ dataDir: data, instance: INSTANCE, nowNs: () => t });
    for (let i = 1; i <= RECORDS_PER_SEGMENT; i++) {
      t += 1_000_000n;
      j.append({ exchange: 'coinstore', connId: `${INSTANCE}-old-${seg}`, seq: i, recvNs: t, direction: 'in', kind: 'text', stream: 'btcusdt@trade', endpoint: 'ws://x/s/ws', payload, flags: 0 });
      if (i % 4096 === 0) j.flush();
    }
    await j.close();
  }
  expect(listSegments(data, INSTANCE).filter((s) => !s.open)).toHaveLength(SEGMENTS);
}

/** Pids of the live processes whose parent is `ppid` and whose command line contains `needle`. */
function childrenOf(ppid: number, needle: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid || fields[0] === 'Z') continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) out.push(Number(entry));
    } catch {
      /* the process ended while we looked */
    }
  }
  return out;
}

function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function closedSegments(): number {
  return listSegments(data, INSTANCE).filter((s) => !s.open).length;
}

/** A recorder with nothing reachable to record: all it does here is seal the backlog. */
function startRecorder(): RecorderProcess {
  const rec = new RecorderProcess(['--exchange', 'coinstore', '--channels', 'btcusdt@trade', '--url', 'ws://127.0.0.1:9/s/ws', '--data', data, '--instance', INSTANCE, '--http', '127.0.0.1:0']);
  procs.push(rec);
  return rec;
}

async function sealChildOf(rec: RecorderProcess): Promise<number> {
  const [pid] = await until(
    () => {
      const kids = childrenOf(rec.child.pid!, 'seal-child');
      return kids.length ? kids : null;
    },
    'the seal child to start',
    30_000,
    20,
  );
  return pid;
}

describe('the seal child dies with its parent', () => {
  it('after a SIGKILL of the recorder it stops mid-run; the next recorder takes the lock over and seals everything', async () => {
    await writeBacklog();
    const first = startRecorder();
    const kid = await sealChildOf(first);
    await first.stop('SIGKILL');
    await until(() => !running(kid), 'the orphaned seal child to stop', 60_000, 50);
    // It stopped, not finished: the backlog takes it seconds, and it had just begun.
    expect(closedSegments()).toBeGreaterThan(0);
    // Killed mid-run, it may leave its lock behind (a dead owner's): the next recorder takes it over.
    const second = startRecorder();
    const port = await second.httpPort();
    await until(() => closedSegments() === 0, 'the next recorder to seal the whole backlog', 120_000, 200);
    const h = await until(async () => {
      const doc = await getJson(port, '/health');
      return doc.seal.runs > 0 && !doc.seal.running ? doc : null;
    }, 'the seal run to report');
    expect(h.seal.last_error).toBeNull();
    expect(fs.existsSync(path.join(data, 'journal', INSTANCE, SEAL_LOCK_FILE))).toBe(false);
  }, 240_000);

  it('a second stop signal ends the recorder and its seal child', async () => {
    await writeBacklog();
    const rec = startRecorder();
    const kid = await sealChildOf(rec);
    await rec.waitLog((l) => l.msg === 'recording');
    rec.child.kill('SIGTERM');
    await rec.waitLog((l) => l.msg === 'stop requested');
    rec.child.kill('SIGTERM');
    expect((await rec.exited).code).toBe(1);
    await until(() => !running(kid), 'the seal child to stop', 60_000, 50);
    expect(closedSegments()).toBeGreaterThan(0);
  }, 120_000);
});

describe('the seal lock', () => {
  it('is taken over from a dead owner, and from a live process that only reuses the dead owner’s pid', () => {
    fs.mkdirSync(path.join(data, 'journal', INSTANCE), { recursive: true });
    const lock = path.join(data, 'journal', INSTANCE, SEAL_LOCK_FILE);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(lock, dead.stdout);
    const release = acquireSealLock(data, INSTANCE);
    expect(release).not.toBeNull();
    expect(fs.readFileSync(lock, 'utf8')).toBe(`${process.pid} ${processStartTime(process.pid)}`);
    // held by a live owner (this process, as another sealer would see it): not taken
    expect(
      spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `import { acquireSealLock } from ${JSON.stringify(path.join(ROOT, 'dist/store/seal/seal-lock.js'))}; process.stdout.write(String(acquireSealLock(${JSON.stringify(data)}, ${JSON.stringify(INSTANCE)}) === null))`],
        { encoding: 'utf8' },
      ).stdout,
    ).toBe('true');
    release!();
    expect(fs.existsSync(lock)).toBe(false);
    // a pid that is alive but started at another time than the lock says: the owner is dead
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(lock, `${other.pid} 1`);
      const again = acquireSealLock(data, INSTANCE);
      expect(again).not.toBeNull();
      again!();
      // the same pid with its real start time is a live owner
      fs.writeFileSync(lock, `${other.pid} ${processStartTime(other.pid!)}`);
      expect(acquireSealLock(data, INSTANCE)).toBeNull();
    } finally {
      other.kill('SIGKILL');
    }
  });
});
