export { sealClosedSegments, sealRecords, type SealOptions, type SealReport, type SegmentSealReport, type SealedFile } from './sealer.js';
export { compactDay, compactAll, compactZstdLevel, RAW_COMPACT_ZSTD_LEVEL, journalSegmentKeys, type CompactOptions, type CompactAllOptions, type CompactResult } from './compact.js';
export { InjectedCrash, type CrashPoint, type CrashMode } from './crash.js';
export { NormalizerSet, type NormalizerStates, type NormalizeIssues } from './normalizers.js';
export { Stager } from './stage.js';
export { verifyStore, type VerifyReport, type Finding } from './verify-store.js';
export { recoverDeadSegments, writerAlive, type DeadSegmentRecovery } from './recover-dead.js';
export { parseSealOptions, type SealCommandOptions } from './options-schema.js';
export { COMPACT_ZSTD_LEVEL } from './parquet-file.js';
