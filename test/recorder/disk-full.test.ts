/**
 * The recorder on a disk that fills up and clears: it runs in a private tmpfs (user + mount
 * namespace, no root needed) whose free space a ballast file takes; /health says `failing` while the
 * journal cannot write, and once the ballast is gone a log line says writes resumed and /health
 * counts the journal-loss gaps of each stream that lost frames. Skipped where the kernel does not
 * allow unprivileged user namespaces.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, RecorderProcess, getJson, tmpDir, until } from './harness.js';

const probe = tmpDir('tt-diskfull-probe-');
const canMount = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs "$1"', 'sh', probe]).status === 0;
fs.rmSync(probe, { recursive: true, force: true });

/** tmpfs size and ballast: the recorder gets a few hundred KiB before the disk is full. */
const TMPFS = '6m';
const BALLAST_BYTES = 5_600_000;

/**
 * sh: mounts the tmpfs on $1, fills it with the ballast, removes the ballast once the file $2 (outside
 * the namespace) exists, and runs the recorder: `$3 $4 record <args>`.
 */
const SCRIPT = [
  `mount -t tmpfs -o size=${TMPFS} tmpfs "$1" || exit 97`,
  `head -c ${BALLAST_BYTES} /dev/zero > "$1/ballast"`,
  '( while [ ! -e "$2" ]; do sleep 0.05; done; rm -f "$1/ballast" ) &',
  'mnt="$1"; node="$3"; cli="$4"; shift 4',
  'exec "$node" "$cli" "$@"',
].join('\n');

let dir: string | null = null;
const procs: RecorderProcess[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  dir = null;
});

describe('recorder on a full disk', () => {
  it.skipIf(!canMount)('says writes resumed once space returns, and /health counts the journal-loss gaps per stream', async () => {
    dir = tmpDir('tt-diskfull-');
    const mnt = path.join(dir, 'mnt');
    const free = path.join(dir, 'free-the-disk');
    fs.mkdirSync(mnt);
    const rec = new RecorderProcess(
      ['--simulate', '--rate', '100', '--data', mnt, '--http', '127.0.0.1:0', '--stagger-ms', '10'],
      {},
      ['unshare', '-rm', 'sh', '-c', SCRIPT, 'sh', mnt, free, process.execPath, CLI],
    );
    procs.push(rec);
    const port = await rec.httpPort();
    const full = await until(async () => {
      const h = await getJson(port, '/health');
      return h.journal.disk_full ? h : null;
    }, 'the journal to find the disk full', 60_000);
    expect(full.status).toBe('failing');
    await rec.waitLog((l) => l.msg.startsWith('journal write failed'));
    // a moment of loss, then space returns
    await until(async () => (await getJson(port, '/health')).journal.lost_records > 50, 'frames to be lost');
    fs.writeFileSync(free, '');
    const resumed = await rec.waitLog((l) => l.msg.startsWith('journal writes resumed'), 30_000);
    expect(Number(resumed.lostRecords)).toBeGreaterThan(0);
    expect(Number(resumed.streams)).toBeGreaterThan(0);
    const h = await getJson(port, '/health');
    expect(h.journal.disk_full).toBe(false);
    const hit = h.streams.filter((s: any) => s.journal_lost_frames > 0);
    expect(hit.length).toBe(Number(resumed.streams));
    expect(hit.every((s: any) => s.gaps >= 1)).toBe(true);
    // every lost data frame of a stream is counted on that stream; the rest were control records
    const perStream = hit.reduce((n: number, s: any) => n + s.journal_lost_frames, 0);
    expect(perStream).toBeGreaterThan(0);
    expect(perStream).toBeLessThanOrEqual(h.journal.lost_records);
  });
});
