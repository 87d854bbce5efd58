export { readRecords, buildReaderSource, READER_WINDOW_ROWS, type ReadRecordsOptions } from './read-records.js';
export { stageJournals, type JournalStageOptions, type JournalStageResult } from './journal-stage.js';
