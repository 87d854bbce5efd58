/**
 * Detects holes in an exchange's numbering: Coinstore's per-session `S` (scope 'session', one
 * tracker per connection) and per-stream trade seq / ids (scope = stream key, one tracker per
 * stream that outlives connections). Values are expected to be consecutive; a value at or below
 * the last one is a repeat (reconnect replay, overlap of a rotation) and is not a gap. Pure.
 */
interface SequenceGap {
  scope: string;
  /** First missing value. */
  expected: number;
  /** The value that arrived. */
  got: number;
  lost: number;
  /** Receive time of the last value before the hole. */
  startNs: bigint;
  endNs: bigint;
}

interface Last {
  value: number;
  recvNs: bigint;
}

export class SequenceTracker {
  private readonly last = new Map<string, Last>();

  /** Records `value` of `scope`; returns the hole it reveals, if any. */
  observe(scope: string, value: number, recvNs: bigint): SequenceGap | null {
    const prev = this.last.get(scope);
    if (!prev) {
      this.last.set(scope, { value, recvNs });
      return null;
    }
    if (value <= prev.value) return null;
    this.last.set(scope, { value, recvNs });
    if (value === prev.value + 1) return null;
    return { scope, expected: prev.value + 1, got: value, lost: value - prev.value - 1, startNs: prev.recvNs, endNs: recvNs };
  }

  lastValue(scope: string): number | null {
    return this.last.get(scope)?.value ?? null;
  }

  /** Seeds a scope (e.g. from the state a previous run left), without reporting anything. */
  seed(scope: string, value: number, recvNs: bigint): void {
    const prev = this.last.get(scope);
    if (!prev || value > prev.value) this.last.set(scope, { value, recvNs });
  }

  forget(scope: string): void {
    this.last.delete(scope);
  }
}
