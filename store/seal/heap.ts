/**
 * A full collection of the JS heap between seal chunks. Each chunk's records, normalized rows and
 * templates live until the chunk is staged, long enough to be promoted to V8's old generation, and
 * die together; V8 collects the old generation only when it has grown a multiple of what survived
 * the last collection, so without help a seal carried 50–100 MB of dead chunks into the DuckDB
 * steps that follow (the part files, the final COPYs), whose native memory adds to it. A process
 * that has loaded more code (`ticktape seal` loads the whole CLI) is allowed more garbage: its
 * peak RSS rose above 512 MiB while the recorder's seal child stayed under. Collecting after each
 * chunk costs a few milliseconds (the live heap is small) and keeps both near the live size
 * (BENCHMARKS.md "`ticktape seal` memory and rate").
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

/**
 * V8's `gc()`: the global one when node runs with `--expose-gc`, otherwise the flag is set for
 * this process and a fresh context's `gc` taken (contexts created after the flag get it). null when
 * neither works (another engine): the seal then runs as before, on V8's own schedule.
 */
function gcFunction(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  const global = (globalThis as { gc?: () => void }).gc;
  if (typeof global === 'function') return (gcFn = global);
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    gcFn = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** Runs a full garbage collection; false when none is available. */
export function collectGarbage(): boolean {
  const fn = gcFunction();
  if (!fn) return false;
  fn();
  return true;
}
