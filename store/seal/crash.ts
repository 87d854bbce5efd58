/**
 * Crash-injection seam for tests: a seal or compaction run stops dead at the named step, leaving
 * the files exactly as a killed process would (temp files, renamed outputs, undeleted inputs).
 */
export type CrashPoint =
  | 'after-temp' // temp Parquet files written and fsynced, nothing verified
  | 'after-verify' // temp files verified, none renamed
  | 'after-rename-partial' // the first output renamed into place, the others still temp
  | 'after-rename' // every output in place, normalizer state not saved, journal not deleted
  | 'after-state' // normalizer state saved, journal segment not deleted
  | 'after-delete-partial'; // compaction: the first input deleted, the others still there

export class InjectedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`injected crash at ${point}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * 'throw' unwinds (finally blocks run: locks released, DuckDB closed); 'kill' ends the process with
 * SIGKILL on the spot, exactly as a power cut or the OOM killer would (used by child-process tests).
 */
export type CrashMode = 'throw' | 'kill';

export function crashIf(at: CrashPoint | undefined, point: CrashPoint, mode: CrashMode = 'throw'): void {
  if (at !== point) return;
  if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
  throw new InjectedCrash(point);
}
