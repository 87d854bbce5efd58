export { readRecords, readRecordBatches, buildReaderSource, READER_WINDOW_ROWS, type ReadRecordsOptions } from './read-records.js';
export type { ParsedTapeRecord, RecordBatch } from './record-batch.js';
export { readNormalized, type NormalizedKind, type NormalizedMessage, type TradeMessage, type BookMessage, type BookLevel, type KlineMessage, type TickerMessage, type ReadNormalizedOptions } from './read-normalized.js';
export { stageJournals, type JournalStageOptions, type JournalStageResult } from './journal-stage.js';
