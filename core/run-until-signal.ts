/**
 * How a long-running command (`record`, `simulate`, `replay`) lives and stops, in one place:
 * SIGTERM or SIGINT stops it — exit 0 when the stop finished, 1 when it failed, took longer than
 * `stopTimeoutMs`, or a second signal came while stopping (the user insists); SIGHUP reloads when the
 * command can. Signals are listened to from the moment `untilSignal` is called, before the service
 * has started: a SIGTERM during start-up stops it as soon as it is up instead of killing the process
 * half-way (the default action).
 */
import type { Logger } from './log.js';
import { EXIT } from './error-codes.js';

interface UntilSignalOptions {
  log: Logger;
  /** A stop that takes longer than this ends the process with exit 1. */
  stopTimeoutMs: number;
  /** SIGHUP: reload the configuration. Without it, SIGHUP stops like SIGTERM. */
  onReload?: () => void;
  /** What a stop past its time leaves behind, for the log line. */
  timeoutMessage?: string;
  /** What a second signal during a stop means, for the log line (default "exiting without finishing the stop"). */
  secondSignalMessage?: string;
  /** Called before exiting on a second signal or a stop past its time (e.g. kill a seal child). */
  onGiveUp?: () => void;
  /** Ends the process (tests of the helper pass their own; default process.exit). */
  exit?: (code: number) => void;
}

interface SignalRun {
  /**
   * Hands over the running service's stop. Never resolves: the process ends with the exit code of
   * the stop. A signal that came before this call stops the service at once.
   */
  run(stop: (signal: NodeJS.Signals) => Promise<void>): Promise<never>;
}

export function untilSignal(opts: UntilSignalOptions): SignalRun {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopFn: ((signal: NodeJS.Signals) => Promise<void>) | null = null;
  let pending: NodeJS.Signals | null = null;
  let stopping = false;

  const stop = (signal: NodeJS.Signals) => {
    if (!stopFn) {
      pending ??= signal;
      return;
    }
    if (stopping) {
      opts.log.warn({ signal }, `second signal: ${opts.secondSignalMessage ?? 'exiting without finishing the stop'}`);
      opts.onGiveUp?.();
      exit(EXIT.FAILURE);
      return;
    }
    stopping = true;
    opts.log.info({ signal }, 'stop requested');
    const watchdog = setTimeout(() => {
      opts.log.error({ timeoutMs: opts.stopTimeoutMs }, `stop took too long; exiting${opts.timeoutMessage ? ` (${opts.timeoutMessage})` : ''}`);
      opts.onGiveUp?.();
      exit(EXIT.FAILURE);
    }, opts.stopTimeoutMs);
    watchdog.unref();
    stopFn(signal).then(
      () => exit(EXIT.OK),
      (err: unknown) => {
        opts.log.error({ err: String((err as Error)?.message ?? err) }, 'stop failed');
        exit(EXIT.FAILURE);
      },
    );
  };

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (!opts.onReload) return stop('SIGHUP');
    if (stopFn && !stopping) opts.onReload();
  });

  return {
    run(fn) {
      stopFn = fn;
      // Keeps the process up even while nothing else holds the event loop (every connection waiting
      // to reconnect, the HTTP endpoint off).
      setInterval(() => undefined, 1 << 30);
      if (pending) stop(pending);
      return new Promise<never>(() => undefined);
    },
  };
}
