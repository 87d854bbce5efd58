/**
 * Typed errors. Every error ticktape raises on purpose is a TicktapeError with a stable `code`
 * (core/error-codes.ts: the one table of codes, exit codes and meanings, also ARCHITECTURE.md's
 * "Error codes") and a message that tells the user what to do next.
 */
import { ERROR_CODES, EXIT, type ErrorCode } from './error-codes.js';

export { EXIT, type ErrorCode };

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

/** The process exit code of an error: its code's row of the table; anything else is a runtime failure. */
export function exitCodeFor(err: unknown): number {
  if (!isTicktapeError(err)) return EXIT.FAILURE;
  const info = ERROR_CODES[err.code] as { exit: keyof typeof EXIT } | undefined;
  return info ? EXIT[info.exit] : EXIT.FAILURE;
}
