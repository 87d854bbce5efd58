import { Table } from 'apache-arrow';
import { Logger } from 'pino';
import { z } from 'zod';

/**
 * The unit the recorder writes and the reader yields: one frame that crossed the wire, or one
 * control event. Journal segments and the sealed `raw` table hold exactly these fields.
 */
export type Direction = "in" | "out" | "event";
type FrameKind = "text" | "binary" | "ping" | "pong";
type EventKind = "connected" | "disconnected" | "gap" | "clock" | "subscribed" | "refused" | "alert";
export type RecordKind = FrameKind | EventKind;
interface TapeRecord {
	/** Exchange id, e.g. 'coinstore'. */
	exchange: string;
	/** Connection id, globally unique: `<instance>-<process start, base36>-<n>`. */
	connId: string;
	/** Strictly increasing per connection, from 1, over every record of the connection (in, out, event). */
	seq: number;
	/** Receive (or send) time, ns since the Unix epoch, from the recorder's clock. */
	recvNs: bigint;
	direction: Direction;
	kind: RecordKind;
	/** Canonical stream key (exchange-specific, e.g. 'btcusdt@trade'), or '' when the frame names none. */
	stream: string;
	/** The connection's endpoint URL (secrets removed from its query string). */
	endpoint: string;
	/** The exact bytes (frames) or a JSON document (events). */
	payload: Uint8Array;
	flags: number;
}
export type GapCause = "disconnect" | "sequence" | "journal_loss" | "corruption" | "stale" | "malformed" | "refused";
type ColumnType = "VARCHAR" | "BIGINT" | "INTEGER" | "UBIGINT" | "DOUBLE" | "BOOLEAN" | "BLOB";
interface ColumnDef {
	name: string;
	type: ColumnType;
	nullable: boolean;
	doc: string;
}
declare const TABLES: {
	readonly raw: [
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef
	];
	readonly trades: [
		...ColumnDef[],
		ColumnDef,
		ColumnDef
	];
	readonly book: [
		...ColumnDef[],
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef
	];
	readonly klines: [
		...ColumnDef[],
		ColumnDef
	];
	readonly tickers: [
		...ColumnDef[],
		ColumnDef
	];
	readonly orders: ColumnDef[];
	readonly fills: [
		...ColumnDef[],
		ColumnDef,
		ColumnDef
	];
	readonly balances: ColumnDef[];
	readonly positions: [
		...ColumnDef[],
		ColumnDef
	];
	readonly gaps: [
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef,
		ColumnDef
	];
};
type TableName = keyof typeof TABLES;
interface DayKey {
	table: TableName;
	/** Exchange id as the files carry it ('' for instance-wide events). */
	exchange: string;
	date: string;
}
declare const ERROR_CODES: {
	readonly TT_USAGE: {
		readonly exit: "USAGE";
		readonly meaning: "a command line that cannot be parsed: unknown command or option, missing argument";
	};
	readonly TT_CONFIG_INVALID: {
		readonly exit: "USAGE";
		readonly meaning: "a config field, flag or option value is wrong (the message names it and the accepted values)";
	};
	readonly TT_CONFIG_UNREADABLE: {
		readonly exit: "USAGE";
		readonly meaning: "the config file cannot be read or parsed (JSON or YAML)";
	};
	readonly TT_UNKNOWN_EXCHANGE: {
		readonly exit: "USAGE";
		readonly meaning: "not one of coinstore, coinsuper, nexus, coinceres";
	};
	readonly TT_UNKNOWN_CHANNEL: {
		readonly exit: "USAGE";
		readonly meaning: "a channel string the exchange's grammar does not accept (the valid forms are listed)";
	};
	readonly TT_CREDENTIALS_MISSING: {
		readonly exit: "USAGE";
		readonly meaning: "a private channel without credentials (config or `TICKTAPE_<EXCHANGE>_<FIELD>`)";
	};
	readonly TT_BAD_TIME: {
		readonly exit: "USAGE";
		readonly meaning: "a time that is neither ISO 8601 nor epoch s/ms/ns, or a range that ends before it starts";
	};
	readonly TT_SCRIPT_UNKNOWN: {
		readonly exit: "USAGE";
		readonly meaning: "no such analysis script";
	};
	readonly TT_QUERY: {
		readonly exit: "USAGE";
		readonly meaning: "an SQL error (the message is DuckDB's)";
	};
	readonly TT_ADDRESS_IN_USE: {
		readonly exit: "USAGE";
		readonly meaning: "a server cannot listen on its address: the port is taken, reserved or the address is not this machine's";
	};
	readonly TT_PATH_ESCAPE: {
		readonly exit: "USAGE";
		readonly meaning: "a value would make ticktape read or write outside its data folder";
	};
	readonly TT_DATA_DIR: {
		readonly exit: "FAILURE";
		readonly meaning: "the data folder is not writable, or is a file";
	};
	readonly TT_JOURNAL_LOCKED: {
		readonly exit: "FAILURE";
		readonly meaning: "another live process owns this instance's journal";
	};
	readonly TT_JOURNAL_IO: {
		readonly exit: "FAILURE";
		readonly meaning: "journal I/O failed (the writer keeps running; losses become gaps)";
	};
	readonly TT_DISK_FULL: {
		readonly exit: "FAILURE";
		readonly meaning: "the disk is full (the writer keeps running; losses become gaps)";
	};
	readonly TT_PROTOCOL: {
		readonly exit: "FAILURE";
		readonly meaning: "a peer broke its protocol";
	};
	readonly TT_JOURNAL_CORRUPT: {
		readonly exit: "DAMAGE";
		readonly meaning: "a journal segment is damaged (verify)";
	};
	readonly TT_PARTITION_DAMAGED: {
		readonly exit: "DAMAGE";
		readonly meaning: "a sealed partition is damaged (verify)";
	};
	readonly TT_SEAL_VERIFY: {
		readonly exit: "DAMAGE";
		readonly meaning: "a sealed file does not match its journal";
	};
	readonly TT_STORE_DENIED: {
		readonly exit: "USAGE";
		readonly meaning: "the object store refused the credentials, or there is no such bucket";
	};
	readonly TT_STORE_UNREACHABLE: {
		readonly exit: "FAILURE";
		readonly meaning: "the object store did not answer (after the SDK's retries); nothing local is deleted";
	};
	readonly TT_STORE_CONFLICT: {
		readonly exit: "DAMAGE";
		readonly meaning: "an object of that name already holds other bytes: never overwritten";
	};
	readonly TT_NO_DATA: {
		readonly exit: "NO_DATA";
		readonly meaning: "nothing to read where `--data` points, or the filter (exchange, symbol, time) matches nothing: the message lists what the data holds";
	};
	readonly TT_INTERNAL: {
		readonly exit: "FAILURE";
		readonly meaning: "a bug: please report it";
	};
};
export type ErrorCode = keyof typeof ERROR_CODES;
export declare class TicktapeError extends Error {
	readonly code: ErrorCode;
	readonly context: Record<string, unknown>;
	constructor(code: ErrorCode, message: string, context?: Record<string, unknown>, options?: {
		cause?: unknown;
	});
}
/** A data folder path, a `file:` URL, or an `s3://bucket/prefix` store. */
export type DataLocation = string | URL;
/**
 * How an `s3://` location is reached and cached. Endpoint, region and path style default to the
 * AWS_* environment (AWS_ENDPOINT_URL, AWS_REGION); credentials come only from the environment or
 * the SDK's own chain.
 */
export interface RemoteDataOptions {
	/** S3-compatible endpoint (MinIO, R2, Ceph, …). */
	endpoint?: string;
	region?: string;
	/** Bucket in the path rather than the host name (default true with an endpoint). */
	forcePathStyle?: boolean;
	/** Cache folder (default TICKTAPE_CACHE_DIR, else ~/.cache/ticktape/<bucket>-<hash>). */
	cacheDir?: string;
	/** Bound of the cache, GB (default 20; least recently used files go first). */
	cacheGb?: number;
}
/**
 * A time as a TypeScript caller gives one: a `Date`, an ISO 8601 string (or digits as above),
 * epoch milliseconds as a number, or epoch nanoseconds as a bigint.
 */
export type TimeInput = Date | string | number | bigint;
export type ExchangeId = "coinstore" | "coinsuper" | "nexus" | "coinceres";
type StreamKind = "trade" | "trade_window" | "book" | "depth_chart" | "kline" | "ticker" | "account" | "order" | "fill" | "position" | "trading";
interface StreamSpec {
	/** Canonical stream key, stored in raw.stream. Same key on the client side, server side and in the data. */
	key: string;
	kind: StreamKind;
	/** The exchange's own spelling of the symbol (BTCUSDT, BTC_USD, BTC/USDT), or null (account-wide streams). */
	symbol: string | null;
	/** Endpoint name (a key of `client.endpoints`). */
	endpoint: string;
	private: boolean;
	/** Stream parameters: levels, intervalMs, interval name, step, upstream venue... */
	params: Record<string, string | number>;
	/** How long this stream normally stays silent (ms): the default threshold of the stale-stream detector. */
	quietMs: number;
}
export interface TimeRange {
	/** Inclusive start: a Date, an ISO 8601 string, epoch ms (number) or ns (bigint). */
	from?: TimeInput;
	/** Exclusive end, in the same forms. */
	to?: TimeInput;
}
/** One frame that crossed the wire (or one control event), exactly as recorded. */
export declare class Frame {
	/** Exchange id: `coinstore`, `coinsuper`, `nexus` or `coinceres`. */
	readonly exchange: string;
	/** Canonical stream key (`btcusdt@trade`, an MQTT topic, …), '' when the frame names none. */
	readonly stream: string;
	/** Connection id, globally unique: `<instance>-<process start>-<n>`. */
	readonly connId: string;
	/** Recorder sequence, from 1 per connection over every record of it. */
	readonly seq: number;
	/** Receive (or, for `out`, send) time in ns since the epoch, from the recorder's clock. */
	readonly recvNs: bigint;
	/** `in` from the exchange, `out` sent by the recorder, `event` a control record. */
	readonly direction: Direction;
	/** `text`, `binary`, `ping`, `pong`, or for events `connected`, `disconnected`, `clock`, … */
	readonly kind: RecordKind;
	/** The exact bytes of the frame (for events a JSON document). */
	readonly payload: Uint8Array;
	/** The connection's URL, secrets removed. */
	readonly endpoint: string;
	/** Record flag bits (1 malformed, 2 redacted, 4 synthetic, 8 overlap). */
	readonly flags: number;
	/**
	 * With `replay({ parse: true })`: the frame's JSON value, built when it was read (from the
	 * payload template, without parsing text): for text frames what `json()` gives, for a binary
	 * frame with a JSON tail (MQTT PUBLISH) the value of that tail; undefined when the frame holds no
	 * JSON, and always without `parse`.
	 */
	readonly message: unknown;
	constructor(r: TapeRecord & {
		message?: unknown;
	});
	/** Discriminates frames from gap events. */
	get type(): "frame";
	/** `recvNs` as a Date (millisecond precision). */
	get localTimestamp(): Date;
	/** The exchange's reader could not parse this frame (kept raw). */
	get malformed(): boolean;
	/** An outgoing frame whose secret was replaced before it was stored. */
	get redacted(): boolean;
	/** A frame whose data another connection already delivered (a make-before-break rotation). */
	get overlap(): boolean;
	/** The payload as UTF-8 text. */
	text(): string;
	/** The payload parsed as JSON (throws a SyntaxError for binary or malformed frames). */
	json<T = unknown>(): T;
}
/** A hole in the recording: where data is known to be missing, and why. */
export interface GapEvent {
	type: "gap";
	/** The exchange affected; '' when the whole recorder instance lost data (a full disk). */
	exchange: string;
	/** The stream affected; '' when the whole connection is. */
	stream: string;
	connId: string;
	seq: number;
	/** When the gap record was written (it sorts right after the frame that revealed the gap). */
	recvNs: bigint;
	localTimestamp: Date;
	cause: GapCause;
	/** Last time data is known complete before the gap, ns. */
	startNs: bigint;
	/** First time data is known complete after the gap, ns. */
	endNs: bigint;
	detail?: string;
	/** For sequence gaps: the exchange's sequence number expected, and the one that came. */
	expected?: string;
	got?: string;
	/** Frames known lost, where known. */
	lostFrames?: number;
}
export interface ReplayOptions extends TimeRange {
	/** The data folder `ticktape record` wrote (a path or a `file:` URL), or an `s3://bucket/prefix` store it shipped to. */
	data: DataLocation;
	/** With an `s3://bucket/prefix` data location: endpoint, region and the local cache (default: the AWS_* environment). */
	remote?: RemoteDataOptions;
	/** Only these exchanges (default: all). Gaps of the whole recorder (a full disk) still come. */
	exchanges?: readonly string[];
	/** Only these canonical stream keys, as `ticktape ls` lists them. Gaps of the whole connection still come. */
	streams?: readonly string[];
	/** Only frames of these directions (default: all three); gap events come whatever this says. */
	directions?: readonly Direction[];
	/**
	 * Also yield the frames a make-before-break rotation received twice (flagged overlap). Default
	 * false, as the replay server and the normalizers do: nothing is counted twice.
	 */
	overlap?: boolean;
	/** Read unsealed journals too (default true). */
	includeJournal?: boolean;
	/**
	 * Give each frame its JSON value as `message` (default false): built straight from the stored
	 * payload template instead of parsing `frame.text()`, the value `JSON.parse` gives (its speed:
	 * BENCHMARKS.md, "Parsed reading").
	 */
	parse?: boolean;
}
/** What `replay()` yields. */
export type ReplayItem = Frame | GapEvent;
/**
 * The recorded frames and gaps, in order. Options are checked when it is called (a bad time or
 * exchange throws a TicktapeError at once); the data is opened when iteration starts, and closed
 * when it ends or the loop breaks.
 *
 * @example
 * for await (const item of replay({ data: './data', exchanges: ['coinstore'], from: '2026-11-23' })) {
 *   if (item.type === 'gap') console.warn('gap', item.cause, item.stream);
 *   else if (item.direction === 'in') handle(item.stream, item.json());
 * }
 */
export declare function replay(options: ReplayOptions): AsyncIterable<ReplayItem>;
interface MessageHead {
	exchange: string;
	symbol: string;
	stream: string;
	connId: string;
	seq: number;
	/** Receive time of the frame, ns since the epoch. */
	recvNs: bigint;
	/** Exchange time, ms since the epoch, where the message carries one. */
	exchangeTsMs: number | null;
}
interface TradeMessage extends MessageHead {
	type: "trade";
	id: string | null;
	price: number;
	amount: number;
	/** The exact decimal text the exchange sent. */
	priceStr: string;
	amountStr: string;
	side: "buy" | "sell" | null;
	venue: string | null;
}
export interface BookLevel {
	price: number;
	amount: number;
	priceStr: string;
	amountStr: string;
	/** Counterparty (Nexus), upstream venue (Coinceres). */
	cp?: string;
	venue?: string;
}
interface BookMessage extends MessageHead {
	type: "book";
	isSnapshot: boolean;
	/** Levels per side the stream carries, where known. */
	depth: number | null;
	bids: BookLevel[];
	asks: BookLevel[];
}
interface KlineMessage extends MessageHead {
	type: "kline";
	interval: string;
	intervalMs: number | null;
	openTsMs: number;
	open: number | null;
	high: number | null;
	low: number | null;
	close: number | null;
	volume: number | null;
	quoteVolume: number | null;
}
interface TickerMessage extends MessageHead {
	type: "ticker";
	last: number | null;
	open: number | null;
	high: number | null;
	low: number | null;
	volume: number | null;
	quoteVolume: number | null;
	change: number | null;
	bid: number | null;
	ask: number | null;
}
interface JournalStats {
	appended: number;
	written: number;
	bytesWritten: number;
	lostRecords: number;
	syncs: number;
	lastSyncNs: bigint | null;
	segment: string | null;
	diskFull: boolean;
}
interface CorruptRegion {
	offset: number;
	length: number;
	quarantinePath?: string;
}
interface ScanReport {
	path: string;
	records: number;
	validBytes: number;
	tornTailBytes: number;
	corrupt: CorruptRegion[];
	firstRecvNs: bigint | null;
	lastRecvNs: bigint | null;
}
interface RecoveryReport extends ScanReport {
	truncated: boolean;
	quarantined: number;
	gapRecordsWritten: number;
}
interface NormalizeIssues {
	failedFrames: number;
	missingExchanges: string[];
	messages: string[];
}
/** A trade: price and amount as numbers and as the exact text the exchange sent. */
export type Trade = TradeMessage;
/** A book message: `book_snapshot` replaces the whole book, `book_change` updates levels (amount 0 removes one). */
export type BookUpdate = Omit<BookMessage, "type"> & {
	type: "book_snapshot" | "book_change";
};
/** A candle as the exchange pushed it (the last push of an open candle is its current state). */
export type Kline = KlineMessage;
/** A 24 h ticker push. */
export type Ticker = TickerMessage;
/** What `replayNormalized()` yields; `type` tells which. */
export type NormalizedMessage = Trade | BookUpdate | Kline | Ticker;
/** What `replayNormalized()` yields: a message, or a hole in the recording (`type: 'gap'`). */
export type ReplayNormalizedItem = NormalizedMessage | GapEvent;
/** The message types `replayNormalized()` can select. */
export type NormalizedType = NormalizedMessage["type"];
export declare const NORMALIZED_TYPES: readonly NormalizedType[];
export interface ReplayNormalizedOptions extends TimeRange {
	/** The data folder `ticktape record` wrote (a path or a `file:` URL), or an `s3://bucket/prefix` store it shipped to. */
	data: DataLocation;
	/** With an `s3://bucket/prefix` data location: endpoint, region and the local cache (default: the AWS_* environment). */
	remote?: RemoteDataOptions;
	/** Only these exchanges (default: all). Gaps of the whole recorder (a full disk) still come. */
	exchanges?: readonly string[];
	/** Only these symbols (gaps: those of streams naming one of them, and of whole connections), however written: `btcusdt`, `BTC/USDT`, `BTC-USDT` and `BTC_USDT` are one instrument. */
	symbols?: readonly string[];
	/** Only these canonical stream keys (e.g. to pick one book depth); gaps of other streams are left out, those of a whole connection still come. */
	streams?: readonly string[];
	/** Message types (default: all of NORMALIZED_TYPES); gap events come whatever this says. */
	kinds?: readonly NormalizedType[];
	/** Read unsealed journals too, normalized on the fly (default true). */
	includeJournal?: boolean;
}
/**
 * Typed messages and gap events in recorded order. Options are checked when it is called; the data is opened
 * when iteration starts and closed when it ends or the loop breaks.
 *
 * @example
 * for await (const m of replayNormalized({ data: './data', symbols: ['btc-usdt'], kinds: ['trade', 'book_snapshot'] })) {
 *   if (m.type === 'trade') console.log(m.exchange, m.price, m.amount, m.side);
 * }
 */
export declare function replayNormalized(options: ReplayNormalizedOptions): AsyncIterable<ReplayNormalizedItem>;
/** Which book `OrderBook.bookAt()` builds. */
export interface BookSource {
	data: DataLocation;
	exchange: string;
	/** However written: `btcusdt`, `BTC/USDT`, `BTC-USDT`. */
	symbol: string;
	/** The stream to follow when the symbol has several book streams (depths); default: the one of the latest snapshot. */
	stream?: string;
	/** Read unsealed journals too (default true). */
	includeJournal?: boolean;
}
export declare class OrderBook {
	private readonly bidLevels;
	private readonly askLevels;
	private bidCache;
	private askCache;
	/** Receive time of the last message applied, ns (null before the first). */
	lastUpdateNs: bigint | null;
	/** Whether a snapshot has been applied: before one, changes describe a partial book. */
	hasSnapshot: boolean;
	/**
	 * Applies one message. A snapshot replaces both sides; a change sets each level it carries
	 * (amount 0 removes the level). Levels are keyed by price, so `100.10` and `100.1` are one level.
	 */
	apply(m: BookUpdate): this;
	private set;
	/** Bids, best (highest) first; the first `depth` when given. */
	bids(depth?: number): BookLevel[];
	/** Asks, best (lowest) first; the first `depth` when given. */
	asks(depth?: number): BookLevel[];
	bestBid(): BookLevel | undefined;
	bestAsk(): BookLevel | undefined;
	/** Best ask minus best bid (negative when the book is crossed, as Nexus' can be); undefined when a side is empty. */
	spread(): number | undefined;
	/** Midpoint of best bid and ask; undefined when a side is empty. */
	mid(): number | undefined;
	/**
	 * The book of `source` as it stood at `time` (messages received at or before it): the latest
	 * snapshot at or before `time`, then the changes after it. TT_NO_DATA when the recording holds no
	 * snapshot of that book by then.
	 */
	static bookAt(source: BookSource, time: TimeInput): Promise<OrderBook>;
}
export interface StreamInventory {
	exchange: string;
	stream: string;
	firstNs: bigint | null;
	lastNs: bigint | null;
	/** Incoming frames (direction 'in'). */
	frames: number;
	/** Every record: frames in and out, events. */
	records: number;
	gaps: number;
}
export interface ExchangeBytes {
	exchange: string;
	files: number;
	bytes: number;
	rawBytes: number;
}
export interface JournalInventory {
	instance: string;
	closedSegments: number;
	openSegments: number;
	bytes: number;
}
export interface Inventory {
	streams: StreamInventory[];
	exchanges: ExchangeBytes[];
	journals: JournalInventory[];
}
/** One day of one table and exchange in a bucket compaction: a day file written, retired inputs deleted, or the day left to another compactor. */
export interface BucketCompactResult extends DayKey {
	/** The instance whose files were merged (null for a deletion or a busy day). */
	instance: string | null;
	/** Input file names merged into `output`. */
	inputs: string[];
	output: string | null;
	rows: number;
	/** Retired objects deleted (their grace period was over). */
	deleted: number;
	/** Another compactor holds this day's lease: left alone. */
	busy?: boolean;
}
type FindingSeverity = "damage" | "notice";
export interface Finding {
	severity: FindingSeverity;
	path: string;
	message: string;
}
export interface VerifyReport {
	files: number;
	rows: number;
	segments: number;
	records: number;
	findings: Finding[];
	damaged: boolean;
}
/** One recorder instance that wrote into a bucket, from its manifests. */
export interface InstanceSummary {
	instance: string;
	files: number;
	bytes: number;
	firstDate: string;
	lastDate: string;
}
/** What verifying an s3:// store found: a VerifyReport of its committed files, its URL, the instances in it. */
export interface BucketVerifyReport extends VerifyReport {
	/** The store, as s3://bucket/prefix. */
	url: string;
	/** Every recorder instance with committed files, with its day range. */
	instances: InstanceSummary[];
}
interface SealedFile {
	table: TableName;
	exchange: string;
	date: string;
	path: string;
	rows: number;
	bytes: number;
}
interface SegmentSealReport {
	instance: string;
	segment: string;
	records: number;
	files: SealedFile[];
	normalize: NormalizeIssues;
	badGapPayloads: number;
	/** Normalized rows skipped because a value could not be stored. */
	badRows: number;
	/** Chunks the segment was staged in (1: it fit in one). */
	chunks: number;
}
export interface SealReport {
	segments: SegmentSealReport[];
	records: number;
	files: number;
	/** Instances skipped because another sealer holds their lock. */
	busyInstances: string[];
	tempFilesRemoved: number;
	/** Segments that failed (the journal segment is kept; later segments of the instance wait). */
	failures: Array<{
		instance: string;
		segment: string;
		error: string;
	}>;
}
export interface CompactResult {
	table: TableName;
	exchange: string;
	date: string;
	instance: string;
	inputs: string[];
	output: string | null;
	rows: number;
	/** Superseded files deleted (leftovers of an interrupted compaction). */
	cleaned: number;
	/** compactAll: why this day was not compacted (its files are left as they are). */
	error?: {
		code: string;
		message: string;
	};
}
export interface DeadSegmentRecovery {
	path: string;
	closedAs: string;
	report: RecoveryReport;
}
declare const sealOptionsSchema: z.ZodEffects<z.ZodObject<{
	/** Then merge each finished day's files into one file per instance (days before today, UTC). */
	compact: z.ZodOptional<z.ZodEffects<z.ZodUnknown, boolean, unknown>>;
	/** With compact: include today (rewritten again at each later compaction). */
	compactToday: z.ZodOptional<z.ZodEffects<z.ZodUnknown, boolean, unknown>>;
	/** With compact: zstd level 1-22 of the day files, every table (default 16 for raw, 9 for the other tables; higher is smaller and slower). */
	zstdLevel: z.ZodOptional<z.ZodEffects<z.ZodUnknown, number, unknown>>;
	/** Only this recorder instance. */
	instance: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string, unknown>>;
}, "strict", z.ZodTypeAny, {
	instance?: string | undefined;
	zstdLevel?: number | undefined;
	compact?: boolean | undefined;
	compactToday?: boolean | undefined;
}, {
	instance?: unknown;
	zstdLevel?: unknown;
	compact?: unknown;
	compactToday?: unknown;
}>, {
	instance?: string | undefined;
	zstdLevel?: number | undefined;
	compact?: boolean | undefined;
	compactToday?: boolean | undefined;
}, {
	instance?: unknown;
	zstdLevel?: unknown;
	compact?: unknown;
	compactToday?: unknown;
}>;
type SealCommandOptions = z.output<typeof sealOptionsSchema>;
/** A query parameter: `$1` / `?` take them in order (an array), `$name` by name (an object). */
export type QueryValue = string | number | bigint | boolean | null | Date | Uint8Array;
export type QueryParams = readonly QueryValue[] | Readonly<Record<string, QueryValue>>;
/** A result row: column name → value (BIGINT as bigint, BLOB as Uint8Array, TIMESTAMP and DATE as Date). */
export type Row = Record<string, unknown>;
export interface StoreOptions {
	/** Include unsealed journals in the SQL views (default true; false is faster on large folders). */
	includeJournal?: boolean;
	/** With an `s3://bucket/prefix` data location: endpoint, region and the local cache (default: the AWS_* environment). */
	remote?: RemoteDataOptions;
}
/** `ticktape seal`'s flags camel-cased (`compact`, `compactToday`, `zstdLevel`, `instance`; its schema's fields), plus a logger. */
export interface SealStoreOptions extends SealCommandOptions {
	log?: Logger;
}
/** What `seal()` did in a data folder. */
export interface FolderSealReport {
	/** Open segments a stopped recorder left, recovered and closed before sealing. */
	recovered: DeadSegmentRecovery[];
	sealed: SealReport;
	/** Day partitions compacted (null without `compact`). */
	compacted: CompactResult[] | null;
}
/** What `seal({ compact: true })` did in an s3:// store (a bucket holds sealed files only: it is compacted in place). */
export interface BucketSealReport {
	/** The store, as s3://bucket/prefix. */
	url: string;
	/** Day files written (`output`), retired inputs deleted after their grace period (`deleted`), days another compactor held (`busy`). */
	compacted: BucketCompactResult[];
}
/** A data folder's report, or an s3:// store's (the one with `url`). */
export type StoreSealReport = FolderSealReport | BucketSealReport;
/** The inventory of an s3:// store: also every recorder instance that wrote into it, from the manifests. */
export interface BucketInventory extends Inventory {
	/** The store, as s3://bucket/prefix. */
	url: string;
	instances: InstanceSummary[];
}
/** A data folder's report, or an s3:// store's (the one with `url`: also its instances). */
export type StoreVerifyReport = VerifyReport | BucketVerifyReport;
export interface Store {
	/** The local data folder; for an s3:// store, its cache folder (the committed files fetched so far, in a data folder's layout). */
	readonly dir: string;
	/**
	 * Runs SQL over the views raw, trades, book, klines, tickers, orders, fills, balances, positions,
	 * gaps and the derived ones (top_of_book, spread, bars(), book_at(), …). Several statements
	 * separated by ";" run in order and the last one's rows are returned. TT_QUERY on an SQL error.
	 */
	query<T extends Row = Row>(sql: string, params?: QueryParams): Promise<T[]>;
	/** The same, as an Apache Arrow Table (64-bit integers and bytes kept; see store/duck/arrow-result.ts for the types). */
	queryArrow(sql: string, params?: QueryParams): Promise<Table>;
	/** Inventory: streams, time ranges, frame counts, gaps, bytes on disk, journals pending seal; for an s3:// store also its `url` and recorder `instances`. */
	ls(): Promise<Inventory | BucketInventory>;
	/**
	 * Checks every sealed partition and journal segment; `damaged` is true when something is. For an
	 * s3:// store, every committed object is read from the bucket and checked against its manifest
	 * first (missing, other size or SHA-256: damage; objects no manifest lists: notices), and the
	 * report has the store's `url` and recorder `instances`. TT_STORE_UNREACHABLE when it cannot be reached.
	 */
	verify(): Promise<StoreVerifyReport>;
	/**
	 * Recovers what dead recorders left, seals closed journal segments, and optionally compacts. An
	 * s3:// store holds sealed files only: it needs `compact: true` and is compacted in the bucket,
	 * each day under its lease, inputs deleted by a later seal once their grace period is over.
	 */
	seal(options?: SealStoreOptions): Promise<StoreSealReport>;
	/** Releases the DuckDB snapshot (the object cannot be used afterwards). */
	close(): void;
}
/**
 * Opens a data folder or an s3:// store as a Store. TT_NO_DATA when nothing is there (a mistyped
 * path or prefix reads as no data, never as an empty recording). An `s3://bucket/prefix` store is
 * read through the local cache: its committed files are fetched (or found cached) at the first
 * query or ls, and the Store reads that snapshot; `verify()` and `seal({ compact: true })` work on
 * the bucket.
 *
 * @example
 * const store = await openStore('./data');
 * const remote = await openStore('s3://my-bucket/ticktape', { remote: { endpoint: 'http://127.0.0.1:9000' } });
 * const [{ n }] = await store.query<{ n: bigint }>("SELECT count(*) AS n FROM trades WHERE exchange = $1", ['coinstore']);
 * const report = await remote.verify();
 * store.close();
 */
export declare function openStore(data: DataLocation, options?: StoreOptions): Promise<Store>;
interface FaultCounts {
	/** Connections terminated after N frames or N seconds. */
	drops: number;
	malformed: number;
	/** Frames held back by delayMs. */
	delayed: number;
	lifetimeCloses: number;
	/** Connections whose session was given an idle timeout (idleCloseS). */
	idleLimits: number;
	/** Connections whose reading was stopped. */
	stoppedReading: number;
	/** Streams that stalled, and the items withheld from them. */
	stalledStreams: number;
	withheldItems: number;
}
interface RouteStats {
	connections: number;
	connectionsTotal: number;
	frames: number;
	bytes: number;
}
export interface SimulatorStats {
	steps: number;
	nowMs: number;
	connections: number;
	/** Frames and bytes sent, per `exchange/endpoint`. */
	routes: Record<string, RouteStats>;
	frames: number;
	bytes: number;
	/** Feed items delivered to sessions, per stream kind. */
	delivered: Record<string, number>;
	faults: FaultCounts;
	/** Steps the pacer skipped because the process fell behind. */
	skippedSteps: number;
}
/** exchange → endpoint name → URL, e.g. `urls.coinstore.ws`, `urls.coinsuper.mqtt`. */
export type EndpointUrls = Partial<Record<ExchangeId, Record<string, string>>>;
interface EndpointUrl {
	exchange: ExchangeId;
	endpoint: string;
	url: string;
	alias: boolean;
}
/** `ticktape simulate`'s flags, camel-cased; each is checked as the command checks its flag. */
export interface SimulatorOptions {
	/** Port, 0 for any free port (default 9001). */
	port?: number;
	/** Address to listen on (default 127.0.0.1). */
	host?: string;
	/** MQTT over plain TCP (Coinsuper): a port, 0 for any free one, or 'off' (default: port + 1, any free port when port is 0). */
	mqttPort?: number | "off";
	/** Serve TLS (wss:// on port, mqtts:// on mqttPort) with this PEM certificate file, with `tlsKey`. */
	tlsCert?: string;
	/** The PEM private key file of `tlsCert`. */
	tlsKey?: string;
	/** Seed of the market: same seed, same market (default 1). */
	seed?: number;
	/** Market steps per second, above 0 (each step moves every symbol once), or 'max' to go as fast as clients read (default 200). */
	rate?: number | "max";
	/** Symbols as BASE-QUOTE (default BTC-USDT, ETH-USDT, …). */
	symbols?: readonly string[];
	/** Start of the market clock, Unix ms (default: now); fix it for byte-identical runs. */
	originMs?: number;
	/** Market time between two book / depth-chart snapshots of one stream, ms, for every exchange (default: the exchange's documented cadence, else 100). */
	bookThrottleMs?: number;
	/** Load tests: push snapshots at fast rates whatever the exchanges document (FAST_FEED_THROTTLE). */
	fastPushes?: boolean;
	/** The demo account trades by itself now and then (default true). */
	autoTrade?: boolean;
	/** Extra credentials, `<exchange>:field=value,field=value` each (besides TICKTAPE_<EXCHANGE>_<FIELD> from the environment). */
	credential?: readonly string[];
	/** Terminate each connection (no close frame) after this many frames. */
	faultDropEvery?: number;
	/** Terminate each connection (no close frame) after this many seconds. */
	faultDropEveryS?: number;
	/** Replace this fraction (0..1) of data frames with malformed bytes. */
	faultMalformedRate?: number;
	/** Hold every outgoing frame back this long, ms. */
	faultDelayMs?: number;
	/** Stop reading clients' messages once they are connected. */
	faultStopReading?: boolean;
	/** Close each connection with 1000 after this many seconds. */
	faultLifetimeS?: number;
	/** Close clients that show no sign of life (in their exchange's terms) for this many seconds. */
	faultIdleCloseS?: number;
	/** Stop delivering streams of this kind (trade, book, ...) or key, socket kept open. */
	faultStall?: string;
	/** ...after this many items (default 0). */
	faultStallAfter?: number;
	logger?: Logger;
}
export interface SimulatorHandle {
	readonly port: number;
	/** Port of Coinsuper's MQTT-over-TCP listener, or null when off. */
	readonly mqttPort: number | null;
	/** The symbols simulated, BASE-QUOTE. */
	readonly symbols: readonly string[];
	/** exchange → endpoint → URL. */
	readonly urls: EndpointUrls;
	url(exchange: ExchangeId, endpoint: string): string;
	/** Every URL served, aliases (such as Coinsuper's `/mqtt`) included. */
	endpoints(): EndpointUrl[];
	stats(): SimulatorStats;
	close(): Promise<void>;
}
export declare function startSimulator(options?: SimulatorOptions): Promise<SimulatorHandle>;
type Speed = number | "max";
/** `ticktape replay`'s flags, camel-cased; each is checked as the command checks its flag. */
export interface ReplayServerOptions {
	/** The data folder (or a `file:` URL), or `s3://bucket/prefix` read through the local cache. */
	data: DataLocation;
	/** With s3:// data: bound of the local cache, GB. */
	cacheGb?: number;
	/** With s3:// data: a config file whose `store` section gives endpoint, region and forcePathStyle. */
	config?: string;
	/** With an `s3://bucket/prefix` data location: endpoint, region and cache folder from code, over `config`'s store section (default: the AWS_* environment). */
	remote?: RemoteDataOptions;
	/** Port, 0 for any free port (default 8001). */
	port?: number;
	/** Address to bind (default 127.0.0.1). */
	host?: string;
	/** MQTT over plain TCP (Coinsuper): a port, 0 for any free one, or 'off' (default: port + 1, any free port when port is 0). */
	mqttPort?: number | "off";
	/** Serve TLS (wss:// on port, mqtts:// on mqttPort) with this PEM certificate file, with `tlsKey`. */
	tlsCert?: string;
	/** The PEM private key file of `tlsCert`. */
	tlsKey?: string;
	/** 1 real time, N times faster, or 'max' as fast as the client reads (default 1). */
	speed?: Speed | string;
	/** Start of the range (default: start of the recording); a range with no recorded frame is TT_NO_DATA. */
	from?: TimeInput;
	/** End of the range, exclusive (default: end of the recording). */
	to?: TimeInput;
	/** Start over at the end of the range instead of closing with 1000. */
	loop?: boolean;
	/** Wait after a session's first subscription before its clock starts, ms (default 250, at most 60000). */
	graceMs?: number;
	/** Do not reproduce recorded disconnects and sequence gaps. */
	continueOnGaps?: boolean;
	/** Connection limit (default 256). */
	maxConnections?: number;
	/** Subscriptions per connection (default 256). */
	maxSubscriptions?: number;
	/** A paced client with more unsent bytes than this is closed with 1008. */
	maxBufferedBytes?: number;
	/** A named session keeps its clock this long after its last connection, ms. */
	sessionKeepMs?: number;
	/** How logins, signs and tokens are checked: 'any' (accepted unchecked, logged; the default) or 'strict' (like the simulator). */
	auth?: "any" | "strict";
	/** Credentials `auth: 'strict'` accepts besides the demo ones, `<exchange>:field=value,field=value` each. */
	credential?: readonly string[];
	/** Paper trading: every session gets an account whose orders fill against the recorded market (`--paper`). */
	paper?: boolean;
	/** Paper trading settings (`--paper-config`): a YAML or JSON file, or the document itself (as deploy/paper.sample.yaml), checked the same way; implies `paper`. */
	paperConfig?: string | Record<string, unknown>;
	/** Where paper sessions write their results, one folder per session (`--paper-out`, default ./paper). */
	paperOut?: string;
	/** Bearer token the control API (/control/*) requires (`--control-token`); default TICKTAPE_CONTROL_TOKEN, else none. */
	controlToken?: string;
	/** Gets the warnings (a range partly outside the recording) and the server's log. */
	logger?: Logger;
}
export interface ReplayServerStats {
	[key: string]: unknown;
}
export interface ReplayServerHandle {
	readonly port: number;
	/** Port of Coinsuper's MQTT-over-TCP listener, or null when off. */
	readonly mqttPort: number | null;
	/** Whether paper trading is on (orders fill against the recording). */
	readonly paper: boolean;
	/** exchange → endpoint → URL; the control API and /normalized are on the same port. */
	readonly urls: EndpointUrls;
	url(exchange: ExchangeId, endpoint: string): string;
	/** Every URL served, aliases included. */
	endpoints(): EndpointUrl[];
	/** Recorded streams per exchange. */
	streams(): Partial<Record<ExchangeId, string[]>>;
	stats(): ReplayServerStats;
	close(): Promise<void>;
}
export declare function startReplayServer(options: ReplayServerOptions): Promise<ReplayServerHandle>;
declare const exchangeConfigSchema: z.ZodObject<{
	/** Exchange id: coinstore | coinsuper | nexus | coinceres. */
	name: z.ZodString;
	/** Channels as the exchange spells them (see `ticktape record --help`). */
	channels: z.ZodArray<z.ZodString, "many">;
	/** Base URL for every endpoint (a simulator or replay server): endpoint URL = baseUrl + its path. */
	baseUrl: z.ZodOptional<z.ZodString>;
	/** URL of each endpoint by name; overrides the production default. */
	urls: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodString>>;
	/** Shortcut for `urls` when the exchange has one endpoint (or for its first one). */
	url: z.ZodOptional<z.ZodString>;
	/** Credentials of private channels (also from env TICKTAPE_<EXCHANGE>_<FIELD>). */
	credentials: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodString>>;
	/** Rotate (make-before-break) each connection after this long; default: before the exchange's own cap. */
	rotateAfterMs: z.ZodOptional<z.ZodNumber>;
	/** Per-stream stale thresholds (ms) by channel, overriding quietMs × staleFactor. */
	staleMs: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodNumber>>;
}, "strict", z.ZodTypeAny, {
	name: string;
	channels: string[];
	url?: string | undefined;
	credentials?: Record<string, string> | undefined;
	urls?: Record<string, string> | undefined;
	baseUrl?: string | undefined;
	rotateAfterMs?: number | undefined;
	staleMs?: Record<string, number> | undefined;
}, {
	name: string;
	channels: string[];
	url?: string | undefined;
	credentials?: Record<string, string> | undefined;
	urls?: Record<string, string> | undefined;
	baseUrl?: string | undefined;
	rotateAfterMs?: number | undefined;
	staleMs?: Record<string, number> | undefined;
}>;
type ExchangeConfigFile = z.infer<typeof exchangeConfigSchema>;
declare const recordFlagsSchema: z.ZodObject<{
	/** Config file (JSON or YAML); the other options override its fields. */
	config: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string, unknown>>;
	/** Quick form: the exchange to record (with `channels`). */
	exchange: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string, unknown>>;
	/** Quick form: the channels to record, e.g. ['btcusdt@trade', 'btcusdt@depth@20']. */
	channels: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string[], unknown>>;
	/** Quick form: the exchange endpoint's URL (default: production). */
	url: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string, unknown>>;
	/** Data folder (default ./data). */
	data: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string, unknown>>;
	/** Recorder instance id (default: host name + a suffix kept in <data>/instance-id). */
	instance: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string, unknown>>;
	/** host:port of /health and /metrics, or "off" (default 127.0.0.1:9100). */
	http: z.ZodOptional<z.ZodEffects<z.ZodUnknown, string, unknown>>;
	/** Start the built-in simulator in-process and record all four exchanges from it. */
	simulate: z.ZodOptional<z.ZodEffects<z.ZodUnknown, boolean, unknown>>;
	/** Port of the in-process simulator (default: any free port). */
	simulatePort: z.ZodOptional<z.ZodEffects<z.ZodUnknown, number, unknown>>;
	/** Simulator seed. */
	seed: z.ZodOptional<z.ZodEffects<z.ZodUnknown, number, unknown>>;
	/** Simulator steps per second, or 'max': as fast as the recorder reads. */
	rate: z.ZodOptional<z.ZodEffects<z.ZodUnknown, number | "max", unknown>>;
	/** fdatasync cadence, ms: the power-loss bound (default 200). */
	fsyncIntervalMs: z.ZodOptional<z.ZodEffects<z.ZodUnknown, number, unknown>>;
	/** Seal closed journal segments this often, ms (default 3600000). */
	sealIntervalMs: z.ZodOptional<z.ZodEffects<z.ZodUnknown, number, unknown>>;
	/** Minimum spacing of connects to one exchange, ms (default 100). */
	staggerMs: z.ZodOptional<z.ZodEffects<z.ZodUnknown, number, unknown>>;
}, "strict", z.ZodTypeAny, {
	exchange?: string | undefined;
	instance?: string | undefined;
	url?: string | undefined;
	data?: string | undefined;
	channels?: string[] | undefined;
	seed?: number | undefined;
	rate?: number | "max" | undefined;
	config?: string | undefined;
	http?: string | undefined;
	fsyncIntervalMs?: number | undefined;
	staggerMs?: number | undefined;
	simulate?: boolean | undefined;
	simulatePort?: number | undefined;
	sealIntervalMs?: number | undefined;
}, {
	exchange?: unknown;
	instance?: unknown;
	url?: unknown;
	data?: unknown;
	channels?: unknown;
	seed?: unknown;
	rate?: unknown;
	config?: unknown;
	http?: unknown;
	fsyncIntervalMs?: unknown;
	staggerMs?: unknown;
	simulate?: unknown;
	simulatePort?: unknown;
	sealIntervalMs?: unknown;
}>;
type ConfigFlags = z.output<typeof recordFlagsSchema>;
interface Alert {
	atMs: number;
	exchange: string;
	stream: string;
	message: string;
	connId: string | null;
	/** Short machine-readable cause where there is one (`refused 401`, `dns`, `unreachable`, `closed on open`). */
	cause?: string;
}
interface DiskSpace {
	freeBytes: number;
	totalBytes: number;
}
interface SealSummary {
	segments: number;
	records: number;
	files: number;
	failures: Array<{
		instance: string;
		segment: string;
		error: string;
	}>;
	busy?: string[];
	compacted: number;
}
interface SealRunnerStats {
	runs: number;
	failedRuns: number;
	lastRunAtMs: number | null;
	lastDurationMs: number | null;
	lastSummary: SealSummary | null;
	lastError: string | null;
	running: boolean;
}
interface StreamCursor {
	/** Highest sequence accepted. */
	seq: number | null;
	/** Timestamp of the last accepted frame that had one, and its connection. */
	tsMs: number | null;
	connId: string | null;
}
interface OpenGap {
	startNs: bigint;
	cause: GapCause;
	detail: string;
	/** Last exchange sequence value of the stream before the gap, when it has one. */
	lastSeq: number | null;
}
interface StreamDown {
	cause: string;
	detail: string;
	sinceMs: number;
	attempts: number;
}
declare class StreamState {
	spec: StreamSpec;
	readonly exchange: string;
	/** Stale threshold (ms): silence longer than this on a live connection forces a reconnect. */
	staleMs: number;
	frames: number;
	bytes: number;
	malformed: number;
	lastDataNs: bigint | null;
	/** Connection of the last data frame. */
	lastConnId: string | null;
	lastSeq: number | null;
	openGap: OpenGap | null;
	/** What has been accepted so far, to flag repeated data (handoff.ts). */
	readonly cursor: StreamCursor;
	gaps: number;
	refused: string | null;
	/** Alert raised because the subscription stays silent (cleared by data). */
	silent: boolean;
	/** Set while the stream's connection fails (refused, dns, unreachable, closed on open); cleared once it delivers or stays up. */
	down: StreamDown | null;
	/** Frames journal losses (disk full, I/O errors) cost this stream, each loss also counted in `gaps`. */
	journalLostFrames: number;
	/** frames/s over the last rate window. */
	rate: number;
	private rateFrames;
	private rateAtMs;
	constructor(spec: StreamSpec, exchange: string, 
	/** Stale threshold (ms): silence longer than this on a live connection forces a reconnect. */
	staleMs: number);
	get key(): string;
	/** Opens a gap unless one is open already (the earlier start wins: it covers more). */
	openGapAt(gap: OpenGap): void;
	/** Updates `rate` from the frames counted since the last call. */
	sampleRate(nowMs: number): void;
}
interface UploadRunnerStats {
	url: string;
	endpoint: string | null;
	running: boolean;
	passes: number;
	failedPasses: number;
	/** Files that failed to ship (each attempt counts). */
	failures: number;
	uploadedFiles: number;
	uploadedBytes: number;
	/** Throughput of the last pass that shipped bytes. */
	lastBytesPerS: number | null;
	backlogFiles: number;
	backlogBytes: number;
	/** Age of the oldest sealed file not yet shipped, seconds (0 with no backlog). */
	lagS: number;
	deletedLocalFiles: number;
	lastSuccessMs: number | null;
	lastError: string | null;
}
interface HealthInput {
	instance: string;
	startedMs: number;
	nowNs: bigint;
	streams: Array<{
		state: StreamState;
		reconnects: number;
		connected: boolean;
		connId: string | null;
	}>;
	alerts: Alert[];
	alertsTotal: number;
	alertCounts?: Array<{
		exchange: string;
		cause: string;
		count: number;
	}>;
	journal: JournalStats | null;
	disk: DiskSpace | null;
	lowDiskBytes: number;
	seal: SealRunnerStats | null;
	/** Shipping to object storage (`store`), null without one. */
	upload?: UploadRunnerStats | null;
}
type HealthStatus = "ok" | "degraded" | "failing";
declare function buildHealth(h: HealthInput): {
	status: HealthStatus;
	instance: string;
	uptime_s: number;
	streams: {
		exchange: string;
		stream: string;
		connected: boolean;
		conn_id: string | null;
		frames: number;
		frames_per_s: number;
		last_frame_age_ms: number | null;
		stale_after_ms: number;
		reconnects: number;
		gaps: number;
		malformed: number;
		open_gap: {
			since_ns: string;
			cause: GapCause;
			detail: string;
		} | null;
		journal_lost_frames: number;
		refused: string | null;
		silent: boolean;
		down: {
			cause: string;
			detail: string;
			since: string;
			attempts: number;
		} | null;
		live: boolean;
	}[];
	exchanges: {
		exchange: string;
		streams: number;
		live: number;
		down: boolean;
	}[];
	/** Exchanges with no live stream: the recorder is failing them. */
	exchanges_down: string[];
	open_gaps: number;
	alerts: {
		at: string;
		exchange: string;
		stream: string;
		message: string;
		conn_id: string | null;
		cause: string | null;
	}[];
	alerts_total: number;
	alert_counts: {
		exchange: string;
		cause: string;
		count: number;
	}[];
	journal: {
		appended: number;
		written: number;
		bytes_written: number;
		lost_records: number;
		syncs: number;
		last_sync_ns: string | null;
		segment: string | null;
		disk_full: boolean;
	} | null;
	disk: {
		free_bytes: number;
		total_bytes: number;
		low: boolean;
		warning: string | null;
	} | null;
	seal: {
		runs: number;
		failed_runs: number;
		running: boolean;
		last_run: string | null;
		last_duration_ms: number | null;
		last_error: string | null;
	} | null;
	upload: {
		url: string;
		endpoint: string | null;
		running: boolean;
		backlog_files: number;
		backlog_bytes: number;
		lag_s: number;
		bytes_per_s: number | null;
		uploaded_files: number;
		uploaded_bytes: number;
		failures: number;
		failed_passes: number;
		deleted_local_files: number;
		last_success: string | null;
		last_error: string | null;
	} | null;
};
type HealthDoc = ReturnType<typeof buildHealth>;
/** `ticktape record`'s flags, camel-cased (the flag schema's fields), plus `exchanges` (the config file's entries, inline). */
export interface RecorderOptions extends Omit<ConfigFlags, "channels"> {
	/** With `exchange`: the channels to record, e.g. ['btcusdt@trade', 'btcusdt@depth@20']. */
	channels?: readonly string[];
	/** What to record, as a config file's `exchanges` list: `{ name, channels, baseUrl?, urls?, credentials? }`. */
	exchanges?: readonly ExchangeConfigFile[];
	logger?: Logger;
}
export interface RecorderHandle {
	/** Recorder instance id (names its journal folder and files). */
	readonly instance: string;
	readonly dataDir: string;
	/** exchange → endpoint → URL recorded from. */
	readonly urls: EndpointUrls;
	/** `http://host:port` of /health and /metrics, or null when off. */
	readonly httpUrl: string | null;
	/** What /health says: per-stream frames, rates, staleness, gaps, journal and seal state. */
	stats(): HealthDoc;
	/**
	 * Builds the configuration again from the same options (the `config` file read anew) and applies
	 * it, as SIGHUP does: added streams start, removed ones stop, the others keep their connection.
	 * An invalid file throws its TicktapeError and the recorder keeps running as it was.
	 */
	reload(): {
		added: number;
		removed: number;
		kept: number;
	};
	/** Stops like SIGTERM: closes the sockets and the journal, then seals (within the shutdown budget). */
	close(): Promise<void>;
}
export declare function startRecorder(options: RecorderOptions): Promise<RecorderHandle>;

export {
	HealthDoc as RecorderStats,
};

export {};
