/**
 * A child process that must not outlive its parent. The seal child runs DuckDB for minutes at
 * hundreds of MB; if the recorder dies (SIGKILL, OOM kill, an exit on a second signal) nobody reads
 * its result, and it would hold the seal lock the next recorder needs. Linux has no portable way to
 * tie a child's life to its parent from Node (PR_SET_PDEATHSIG needs a native call), so a worker
 * thread polls the parent pid: when the process has been re-parented (the parent is gone), it kills
 * the whole process. Sealing is crash-safe at every step, so being killed mid-run loses nothing.
 *
 * The poll runs on its own thread because the main thread may be busy for a long while (normalizers
 * over a large chunk, a synchronous DuckDB call): the check must not wait for it.
 */
import { Worker } from 'node:worker_threads';

/** The environment variable a parent sets to its own pid for the child to watch (seal-runner.ts). */
export const PARENT_PID_ENV = 'TICKTAPE_SEAL_PARENT_PID';

/** How often the parent pid is checked: a dead parent is noticed within this long (well under 2 s). */
const PARENT_CHECK_INTERVAL_MS = 250;

const WATCH_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const gone = () => {
  if (process.ppid !== workerData.parentPid) return true;
  try { process.kill(workerData.parentPid, 0); return false; } catch (err) { return err.code !== 'EPERM'; }
};
const check = () => {
  if (!gone()) return;
  try { fs.writeSync(2, JSON.stringify({ level: 40, msg: workerData.message, parentPid: workerData.parentPid }) + '\\n'); } catch {}
  process.kill(process.pid, 'SIGKILL');
};
check();
setInterval(check, workerData.intervalMs);
`;

/**
 * Kills this process (SIGKILL) soon after `parentPid` is gone. The worker does not keep the
 * process alive. Returns a function that stops watching.
 */
export function dieWithParent(parentPid: number = process.ppid, intervalMs = PARENT_CHECK_INTERVAL_MS, message = 'parent process is gone: stopping'): () => void {
  const worker = new Worker(WATCH_SOURCE, { eval: true, workerData: { parentPid, intervalMs, message } });
  worker.unref();
  return () => void worker.terminate();
}
