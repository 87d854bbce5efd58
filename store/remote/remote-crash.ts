/**
 * Crash-injection seam of the remote store's steps, like store/seal/crash.ts: a run stops dead at
 * the named step ('throw' unwinds, 'kill' is SIGKILL on the spot) so tests can check that the next
 * run finishes the job without losing or duplicating anything.
 */
export type RemoteCrashPoint =
  // upload
  | 'upload-after-object' // the Parquet object is in the bucket, no sidecar, not committed
  | 'upload-after-sidecar' // object and sidecar uploaded, not verified, not committed
  | 'upload-after-commit' // in the manifest, not yet in the local ledger
  // bucket compaction
  | 'compact-after-lease' // lease taken, nothing downloaded
  | 'compact-after-merge' // the day file exists locally, nothing uploaded
  | 'compact-after-upload' // the day file is in the bucket, not committed
  | 'compact-after-commit' // the manifest lists the day file and retires its inputs; lease held
  | 'gc-after-delete-partial'; // the first retired input deleted, the others and the manifest entry still there

export type RemoteCrashMode = 'throw' | 'kill';

class InjectedRemoteCrash extends Error {
  constructor(readonly point: RemoteCrashPoint) {
    super(`injected crash at ${point}`);
    this.name = 'InjectedCrash';
  }
}

export function remoteCrashIf(at: RemoteCrashPoint | undefined, point: RemoteCrashPoint, mode: RemoteCrashMode = 'throw'): void {
  if (at !== point) return;
  if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
  throw new InjectedRemoteCrash(point);
}
