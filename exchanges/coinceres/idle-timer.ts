/**
 * The idle timeout every Coinceres server session has: the socket is closed when the client has not
 * pinged for `idleMs`. ASSUMPTION: a normal close (1000) with a reason; the documents say nothing
 * about idle sockets.
 */
import type { SessionLink } from '../types.js';

interface IdleTimer {
  /** (Re)starts the countdown: call on every sign of life. */
  arm(): void;
  /** Stops it for good (the session closed). */
  stop(): void;
  readonly stopped: boolean;
}

export function createIdleTimer(link: SessionLink, idleMs: number): IdleTimer {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  return {
    arm() {
      if (timer) clearTimeout(timer);
      if (stopped || idleMs <= 0) return;
      timer = setTimeout(() => link.close(1000, 'idle timeout: no ping received'), idleMs);
      timer.unref?.();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    get stopped() {
      return stopped;
    },
  };
}
