/**
 * The normalizers' state between seal runs: `journal/<instance>/normalizer-state.json`.
 *
 * It keeps the state after the last sealed segment and the state before it, so that re-sealing
 * that same segment (a crash after the state was saved but before the journal was deleted) starts
 * from the same state as the first attempt and writes the same rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { journalDir } from '../partitions.js';
import { writeFileAtomic } from './atomic-file.js';
import type { NormalizerStates } from './normalizers.js';

const STATE_FILE = 'normalizer-state.json';
const STATE_FILE_VERSION = 1;

interface NormalizerStateFile {
  version: number;
  /** The last segment sealed; `states` is the state after it. */
  afterSegment: string | null;
  states: NormalizerStates;
  /** The state before `afterSegment`. */
  previous: { afterSegment: string | null; states: NormalizerStates } | null;
}

function stateFilePath(dataDir: string, instance: string): string {
  return path.join(journalDir(dataDir, instance), STATE_FILE);
}

export function loadStateFile(dataDir: string, instance: string): NormalizerStateFile {
  try {
    const v = JSON.parse(fs.readFileSync(stateFilePath(dataDir, instance), 'utf8')) as NormalizerStateFile;
    if (v && v.version === STATE_FILE_VERSION) return v;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      // An unreadable state only costs de-duplication across the boundary; raw data is unaffected.
    }
  }
  return { version: STATE_FILE_VERSION, afterSegment: null, states: {}, previous: null };
}

/** The state to start `segment` from. */
export function stateBefore(file: NormalizerStateFile, segment: string): NormalizerStates {
  if (file.afterSegment === null) return {};
  if (file.afterSegment < segment) return file.states;
  if (file.afterSegment === segment) return file.previous?.states ?? {};
  return {}; // an older segment sealed late: no state known from before it
}

export function saveStateAfter(dataDir: string, instance: string, file: NormalizerStateFile, segment: string, before: NormalizerStates, after: NormalizerStates): NormalizerStateFile {
  const prevName = file.afterSegment !== null && file.afterSegment < segment ? file.afterSegment : (file.previous?.afterSegment ?? null);
  const next: NormalizerStateFile = { version: STATE_FILE_VERSION, afterSegment: segment, states: after, previous: { afterSegment: prevName, states: before } };
  writeFileAtomic(stateFilePath(dataDir, instance), JSON.stringify(next));
  return next;
}
