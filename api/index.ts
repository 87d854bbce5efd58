/**
 * ticktape as a library: `import { replay, replayNormalized, openStore, OrderBook, startSimulator,
 * startReplayServer, startRecorder } from 'ticktape'`. This file is the package's only entry
 * (package.json `exports`): what it exports is the public API, and nothing else is.
 */
export { replay, type ReplayOptions, type ReplayItem } from './replay.js';
export { Frame, type GapEvent } from './frame.js';
export {
  replayNormalized,
  NORMALIZED_TYPES,
  type ReplayNormalizedOptions,
  type ReplayNormalizedItem,
  type NormalizedMessage,
  type NormalizedType,
  type Trade,
  type BookUpdate,
  type BookLevel,
  type Kline,
  type Ticker,
} from './replay-normalized.js';
export { OrderBook, type BookSource } from './order-book.js';
export {
  openStore,
  type Store,
  type StoreOptions,
  type QueryParams,
  type QueryValue,
  type Row,
  type SealStoreOptions,
  type StoreSealReport,
  type FolderSealReport,
  type BucketSealReport,
  type BucketCompactResult,
  type StoreVerifyReport,
  type BucketVerifyReport,
  type InstanceSummary,
  type BucketInventory,
  type Inventory,
  type StreamInventory,
  type ExchangeBytes,
  type JournalInventory,
  type VerifyReport,
  type Finding,
  type SealReport,
  type CompactResult,
  type DeadSegmentRecovery,
} from './store.js';
export type { TimeRange } from './filters.js';
export type { TimeInput } from '../core/time-arg.js';
export type { DataLocation, RemoteDataOptions } from '../store/open-data.js';
export type { Direction, RecordKind, GapCause } from '../schemas/record.js';
export type { ExchangeId } from '../exchanges/types.js';
export { TicktapeError, type ErrorCode } from '../core/errors.js';
export { startSimulator, type SimulatorOptions, type SimulatorHandle, type SimulatorStats } from './simulator.js';
export { startReplayServer, type ReplayServerOptions, type ReplayServerHandle, type ReplayServerStats } from './replay-server.js';
export { startRecorder, type RecorderOptions, type RecorderHandle, type RecorderStats } from './recorder.js';
export type { EndpointUrls } from './endpoints.js';
