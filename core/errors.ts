/**
 * Typed errors. Every error ticktape raises on purpose is a TicktapeError with a stable `code`
 * (listed in ARCHITECTURE.md, "Error codes") and a message that tells the user what to do next.
 */
export type ErrorCode =
  | 'TT_CONFIG_INVALID' // bad config file / flag value
  | 'TT_CONFIG_UNREADABLE'
  | 'TT_DATA_DIR' // data folder missing / not writable / path escapes it
  | 'TT_PATH_ESCAPE' // a path or parameter would leave the data folder
  | 'TT_UNKNOWN_EXCHANGE'
  | 'TT_UNKNOWN_CHANNEL'
  | 'TT_CREDENTIALS_MISSING'
  | 'TT_JOURNAL_CORRUPT'
  | 'TT_JOURNAL_LOCKED' // another process owns the journal
  | 'TT_JOURNAL_IO'
  | 'TT_DISK_FULL'
  | 'TT_SEAL_VERIFY' // a sealed file does not match its journal
  | 'TT_PARTITION_DAMAGED'
  | 'TT_QUERY' // SQL error
  | 'TT_PROTOCOL' // a peer broke its protocol
  | 'TT_BAD_TIME' // unparsable time value
  | 'TT_NO_DATA'
  | 'TT_SCRIPT_UNKNOWN'
  | 'TT_INTERNAL';

export class TicktapeError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TicktapeError';
    this.code = code;
    this.context = context;
  }
}

export function isTicktapeError(err: unknown): err is TicktapeError {
  return err instanceof TicktapeError;
}

/** Process exit codes of the CLI (documented in README, "Exit codes"). */
export const EXIT = {
  OK: 0,
  FAILURE: 1, // runtime failure (I/O, protocol, internal)
  USAGE: 2, // bad flags, bad config
  DAMAGE: 3, // `verify` found damaged data
  NO_DATA: 4, // nothing matched
} as const;

export function exitCodeFor(err: unknown): number {
  if (!isTicktapeError(err)) return EXIT.FAILURE;
  switch (err.code) {
    case 'TT_CONFIG_INVALID':
    case 'TT_CONFIG_UNREADABLE':
    case 'TT_UNKNOWN_EXCHANGE':
    case 'TT_UNKNOWN_CHANNEL':
    case 'TT_CREDENTIALS_MISSING':
    case 'TT_BAD_TIME':
    case 'TT_SCRIPT_UNKNOWN':
    case 'TT_PATH_ESCAPE':
      return EXIT.USAGE;
    case 'TT_JOURNAL_CORRUPT':
    case 'TT_PARTITION_DAMAGED':
    case 'TT_SEAL_VERIFY':
      return EXIT.DAMAGE;
    case 'TT_NO_DATA':
      return EXIT.NO_DATA;
    default:
      return EXIT.FAILURE;
  }
}
