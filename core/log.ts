/** Structured JSON logs to stderr (stdout is for data). Secrets never go through here: callers pass redacted values. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string = process.env.TICKTAPE_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['secret', '*.secret', 'password', '*.password', 'token', '*.token', 'apiSecret', '*.apiSecret'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that writes nothing (library use, tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
