/**
 * The recorder's configuration file (JSON or YAML), as a zod schema. Every default is here, in one
 * place; `deploy/ticktape.sample.yaml` shows each option with a comment. Durations carry their
 * unit in the name (`...Ms`), sizes theirs (`...Gb`).
 */
import { z } from 'zod';
import { storeConfigSchema } from '../store/remote/store-config.js';

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:9100';
export const DEFAULT_FSYNC_INTERVAL_MS = 200;
/** The power-loss bound: syncing less often than once a minute is not a journal any more. */
export const MAX_FSYNC_INTERVAL_MS = 60_000;
/** Sealing cadence: closed journal segments are sealed into Parquet this often (and at shutdown). */
export const DEFAULT_SEAL_INTERVAL_MS = 3_600_000;
/**
 * Each seal rotates the journal segment: sealing more often than once a second makes thousands of
 * tiny segments and Parquet files a minute (0 made 1,511 segments in 8 s).
 */
export const MIN_SEAL_INTERVAL_MS = 1_000;
/** Segments older than a day wait unsealed; a longer cadence only delays what queries see sealed. */
export const MAX_SEAL_INTERVAL_MS = 86_400_000;
/** A connect spacing over a minute would take hours to open a few hundred streams. */
export const MAX_STAGGER_MS = 60_000;
/** Time a stop may spend sealing before it leaves the rest to the next start. */
export const DEFAULT_SEAL_SHUTDOWN_BUDGET_MS = 15_000;
const MAX_SEAL_SHUTDOWN_BUDGET_MS = 50_000;
/** A stream is stale when silent for longer than its quietMs × this factor. */
export const DEFAULT_STALE_FACTOR = 3;
/** Floor of every stale threshold: never reconnect over a silence shorter than this. */
export const DEFAULT_STALE_MIN_MS = 5_000;
export const DEFAULT_BACKOFF_INITIAL_MS = 500;
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** Minimum spacing of (re)connects to one exchange, so a restart with hundreds of streams stays under its limits. */
export const DEFAULT_STAGGER_MS = 100;
/** How often a `clock` event (wall vs monotonic drift, NTP state) is written on each connection. */
export const DEFAULT_CLOCK_INTERVAL_MS = 60_000;
/** After a rotation starts, the old connection is closed at the latest this long after the new one opened. */
export const DEFAULT_HANDOFF_TIMEOUT_MS = 15_000;
/** /health reports low disk below this many GB free. */
export const DEFAULT_LOW_DISK_GB = 2;

const positiveInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

const exchangeConfigSchema = z
  .object({
    /** Exchange id: coinstore | coinsuper | nexus | coinceres. */
    name: z.string(),
    /** Channels as the exchange spells them (see `ticktape record --help`). */
    channels: z.array(z.string()).min(1, 'list at least one channel'),
    /** Base URL for every endpoint (a simulator or replay server): endpoint URL = baseUrl + its path. */
    baseUrl: z.string().url().optional(),
    /** URL of each endpoint by name; overrides the production default. */
    urls: z.record(z.string(), z.string().url()).optional(),
    /** Shortcut for `urls` when the exchange has one endpoint (or for its first one). */
    url: z.string().url().optional(),
    /** Credentials of private channels (also from env TICKTAPE_<EXCHANGE>_<FIELD>). */
    credentials: z.record(z.string(), z.string()).optional(),
    /** Rotate (make-before-break) each connection after this long; default: before the exchange's own cap. */
    rotateAfterMs: positiveInt.optional(),
    /** Per-stream stale thresholds (ms) by channel, overriding quietMs × staleFactor. */
    staleMs: z.record(z.string(), positiveInt).optional(),
  })
  .strict();

export const configFileSchema = z
  .object({
    /** Recorder instance id ([a-z0-9-]{1,40}); default: host name + a random suffix kept in <data>/instance-id. */
    instance: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/, 'use 1-40 characters of a-z, 0-9 and -')
      .optional(),
    /** Data folder. Relative paths are relative to the config file. */
    data: z
      .string()
      .min(1, 'give a folder')
      .refine((s) => !s.includes('\0'), 'a path cannot contain a NUL byte')
      .optional(),
    /** HTTP listen address for /health and /metrics, "host:port", or "off". */
    http: z.string().optional(),
    /** Bearer token POST /rotate requires (also TICKTAPE_CONTROL_TOKEN); none by default. */
    controlToken: z.string().min(1, 'give a token, or leave the field out').optional(),
    fsyncIntervalMs: positiveInt.max(MAX_FSYNC_INTERVAL_MS, `at most ${MAX_FSYNC_INTERVAL_MS} (a minute): it bounds what a power cut loses`).optional(),
    seal: z
      .object({
        intervalMs: z.number().int().min(MIN_SEAL_INTERVAL_MS, `at least ${MIN_SEAL_INTERVAL_MS} (a second): each seal starts a new journal segment`).max(MAX_SEAL_INTERVAL_MS, `at most ${MAX_SEAL_INTERVAL_MS} (a day)`).optional(),
        atShutdown: z.boolean().optional(),
        /**
         * How long a stop may spend sealing (ms). What is not sealed by then stays in the journal,
         * safe, and is sealed at the next start (or by `ticktape seal`); the stop still exits 0.
         */
        shutdownBudgetMs: positiveInt.max(MAX_SEAL_SHUTDOWN_BUDGET_MS, `at most ${MAX_SEAL_SHUTDOWN_BUDGET_MS}: a stop gives up after 60 s`).optional(),
        /**
         * zstd level (1-22) of the day files background compaction writes once a day is over. Higher
         * is smaller and slower: per million market-like frames 9 → 24.3 bytes/frame in 1.7 s,
         * 15 → 22.1 in 18.8 s, 19 → 18.2 in 45.8 s.
         */
        compactZstdLevel: z.number().int('use an integer from 1 to 22').min(1, 'use an integer from 1 to 22').max(22, 'use an integer from 1 to 22').optional(),
      })
      .strict()
      .optional(),
    retention: z.object({ days: positiveInt.optional(), maxGb: z.number().positive().optional() }).strict().optional(),
    stale: z.object({ factor: z.number().positive().optional(), minMs: nonNegInt.optional() }).strict().optional(),
    backoff: z.object({ initialMs: positiveInt.optional(), maxMs: positiveInt.optional() }).strict().optional(),
    staggerMs: nonNegInt.max(MAX_STAGGER_MS, `at most ${MAX_STAGGER_MS} (a minute)`).optional(),
    clockIntervalMs: positiveInt.optional(),
    handoffTimeoutMs: positiveInt.optional(),
    lowDiskGb: z.number().nonnegative().optional(),
    /**
     * Ship sealed partitions to S3-compatible object storage: `{ url: s3://bucket/prefix, endpoint,
     * region, forcePathStyle, keepLocalDays }`. Credentials only from AWS_* environment variables.
     */
    store: storeConfigSchema.optional(),
    /** Start the built-in simulator in-process and record from it. */
    simulate: z
      .union([
        z.boolean(),
        z
          .object({
            port: nonNegInt.max(65_535, 'use 1-65535, or 0 for any free port').optional(),
            seed: z.number().int().optional(),
            /** Simulator steps per second, or "max" (as fast as the recorder reads). */
            rate: z.union([z.number().positive(), z.literal('max')]).optional(),
            faults: z.record(z.string(), z.unknown()).optional(),
            /** Snapshot push periods (ms) that override every exchange's documented cadence: faster feeds for load tests. */
            throttle: z.object({ bookMs: positiveInt.optional(), klineMs: positiveInt.optional(), tickerMs: positiveInt.optional(), tradeWindowMs: positiveInt.optional() }).strict().optional(),
          })
          .strict(),
      ])
      .optional(),
    /** Exchanges to record; with `simulate` and none listed, all four with their default channels. */
    exchanges: z.array(exchangeConfigSchema).optional(),
  })
  .strict();

export type ExchangeConfigFile = z.infer<typeof exchangeConfigSchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
