/**
 * The order in which one Coinstore session's messages leave. Two rules decide it:
 *  - a command's `echo` and `resp` go before any data its processing set in motion (a feed may
 *    deliver synchronously inside `subscribe`), so data met while a command runs waits until the
 *    command is answered;
 *  - an answer that still has to be read (a replay's `param.size` trade batch comes from the
 *    recording) holds a place in the line: everything decided after it waits until it is filled.
 *
 * Entries are thunks that send when run, so the session's counter `S` is taken at the moment a
 * message really leaves and stays without holes whatever was held back.
 */

interface Entry {
  run: (() => void) | null;
  ready: boolean;
}

export class Outbox {
  private readonly line: Entry[] = [];
  /** Data met while a command runs, sent after the command's replies. */
  private heldData: Array<() => void> | null = null;
  private draining = false;
  /** Told when the line is empty again (whenEmpty). */
  private emptyWaiters: Array<() => void> = [];

  /** Nothing is waiting: a message may be sent right away (the replay's fast path, no closure). */
  get idle(): boolean {
    return this.line.length === 0 && this.heldData === null;
  }

  /** A reply or a push that keeps its place: sent now, or behind what is waiting. */
  push(run: () => void): void {
    if (this.line.length === 0 && !this.draining) run();
    else this.line.push({ run, ready: true });
  }

  /** A data push: like `push`, but while a command runs it waits for the command's replies. */
  pushData(run: () => void): void {
    if (this.heldData) this.heldData.push(run);
    else this.push(run);
  }

  /**
   * Holds a place for an answer still being read. The returned function fills it (`null`: nothing
   * to send) and lets what queued behind it go; calling it again does nothing.
   */
  reserve(): (run: (() => void) | null) => void {
    const entry: Entry = { run: null, ready: false };
    this.line.push(entry);
    return (run) => {
      if (entry.ready) return;
      entry.run = run;
      entry.ready = true;
      this.drain();
    };
  }

  /** Runs a command: the data it sets in motion goes after its replies (and after any place it reserved). */
  command(fn: () => void): void {
    const outer = this.heldData;
    const held: Array<() => void> = [];
    this.heldData = held;
    try {
      fn();
    } finally {
      this.heldData = outer;
      for (const run of held) this.pushData(run);
    }
  }

  /** Resolves once nothing waits to be sent: a held answer filled and everything behind it gone (or the outbox cleared). */
  whenEmpty(): Promise<void> {
    if (this.line.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /** Drops everything waiting (the session closed). */
  clear(): void {
    this.line.length = 0;
    this.heldData = null;
    this.notifyEmpty();
  }

  private notifyEmpty(): void {
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.line.length > 0 && this.line[0].ready) {
        const entry = this.line.shift()!;
        entry.run?.();
      }
    } finally {
      this.draining = false;
    }
    if (this.line.length === 0) this.notifyEmpty();
  }
}
