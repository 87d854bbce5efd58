/**
 * The recorder on a disk that fills up and clears: it runs in a private tmpfs (user + mount
 * namespace, no root needed) whose free space a ballast file takes; /health says `failing` while the
 * journal cannot write, and once the ballast is gone a log line says writes resumed and /health
 * counts the journal-loss gaps of each stream that lost frames. Skipped where the kernel does not
 * allow unprivileged user namespaces. A write that fits the last partly used page of the full tmpfs
 * succeeds, so writes can resume (and fail again) before the ballast goes: the test waits for
 * conditions (the ballast gone, every loss reported by a resumption), never for a first log line.
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
 * the namespace) exists and then creates `$2.done`, and runs the recorder: `$3 $4 record <args>`.
 */
const SCRIPT = [
  `mount -t tmpfs -o size=${TMPFS} tmpfs "$1" || exit 97`,
  `head -c ${BALLAST_BYTES} /dev/zero > "$1/ballast"`,
  '( while [ ! -e "$2" ]; do sleep 0.05; done; rm -f "$1/ballast"; touch "$2.done" ) &',
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
  it.skipIf(!canMount)(
    'says writes resumed once space returns, and /health counts the journal-loss gaps per stream',
    async () => {
      dir = tmpDir('tt-diskfull-');
      const mnt = path.join(dir, 'mnt');
      const free = path.join(dir, 'free-the-disk');
      fs.mkdirSync(mnt);
      const rec = new RecorderProcess(['--simulate', '--rate', '100', '--data', mnt, '--http', '127.0.0.1:0', '--stagger-ms', '10'], {}, ['unshare', '-rm', 'sh', '-c', SCRIPT, 'sh', mnt, free, process.execPath, CLI]);
      procs.push(rec);
      const port = await rec.httpPort();
      // Every wait is for a condition, with deadlines far beyond what it takes on a loaded machine.
      const full = await until(
        async () => {
          const h = await getJson(port, '/health');
          return h.journal.disk_full ? h : null;
        },
        'the journal to find the disk full',
        90_000,
      );
      expect(full.status).toBe('failing');
      await rec.waitLog((l) => l.msg.startsWith('journal write failed'), 60_000);
      // a moment of loss, then space returns
      await until(async () => (await getJson(port, '/health')).journal.lost_records > 50, 'frames to be lost', 90_000);
      fs.writeFileSync(free, '');
      await until(() => fs.existsSync(`${free}.done`), 'the ballast to be removed', 60_000, 50);
      // A small batch can fit the last free pages of the full disk: writes may resume and fail again
      // before the ballast goes. Writing is back for good once /health says the disk is not full and
      // every record lost so far was reported by a "writes resumed" line (its running total).
      const resumedLines = () => rec.logs.filter((l) => l.msg.startsWith('journal writes resumed'));
      const h = await until(
        async () => {
          const x = await getJson(port, '/health');
          const last = resumedLines().at(-1);
          return !x.journal.disk_full && last && Number(last.lostRecordsTotal) === x.journal.lost_records ? x : null;
        },
        'writes to resume with every loss reported',
        90_000,
      );
      const resumed = resumedLines();
      expect(resumed.reduce((n, l) => n + Number(l.lostRecords), 0)).toBeGreaterThan(0);
      expect(Math.max(...resumed.map((l) => Number(l.streams)))).toBeGreaterThan(0);
      expect(h.status).not.toBe('failing');
      const hit = h.streams.filter((s: any) => s.journal_lost_frames > 0);
      // each resumption names the streams that lost frames since the one before
      expect(hit.length).toBeGreaterThanOrEqual(Math.max(...resumed.map((l) => Number(l.streams))));
      expect(hit.length).toBeLessThanOrEqual(resumed.reduce((n, l) => n + Number(l.streams), 0));
      expect(hit.every((s: any) => s.gaps >= 1)).toBe(true);
      // every lost data frame of a stream is counted on that stream; the rest were control records
      const perStream = hit.reduce((n: number, s: any) => n + s.journal_lost_frames, 0);
      expect(perStream).toBeGreaterThan(0);
      expect(perStream).toBeLessThanOrEqual(h.journal.lost_records);
    },
    300_000,
  );
});
