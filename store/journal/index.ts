/** The journal's public API (contract types in api.ts). */
export type {
  CorruptRegion,
  JournalFs,
  JournalLoss,
  JournalStats,
  JournalWriterHandle,
  JournalWriterOptions,
  RecoveryReport,
  ScanReport,
  SegmentInfo,
} from './api.js';
export { openJournalWriter, JOURNAL_DEFAULTS, LOCK_FILE } from './writer.js';
export {
  listSegments,
  readSegment,
  scanSegment,
  journalRoot,
  instanceDir,
  segmentIdentity,
  SEGMENT_EXT,
  OPEN_SEGMENT_EXT,
} from './segment-reader.js';
export { recoverSegment, QUARANTINE_DIR } from './recovery.js';
export {
  encodeRecord,
  decodeRecordBytes,
  encodeSegmentHeader,
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  RECORD_MAGIC,
  KIND_CODES,
} from './framing.js';
