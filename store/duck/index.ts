export { openTape, refreshTapeViews, JOURNAL_TABLE_PREFIX, type Tape, type OpenTapeOptions } from './open-tape.js';
export { openDuckSession, DUCKDB_MEMORY_LIMIT, type DuckSession, type DuckSessionOptions } from './session.js';
export { liveFilesOf, resolveLiveFiles, readKvMetadata, type LiveFile } from './live-files.js';
export { writeResult, formatTable, formatRows, formatReader, defaultFormat, OUTPUT_FORMATS, TABLE_MAX_ROWS, type OutputFormat } from './format-result.js';
export { inventory, type Inventory, type StreamInventory, type ExchangeBytes, type JournalInventory } from './inventory.js';
