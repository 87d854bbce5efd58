/**
 * Where a named replay session stands per exchange, so a reconnect continues every stream exactly
 * where the session left it. A recorded disconnect closes the client after the last frame before
 * the loss of one stream; the other streams of that socket may have recorded frames after that
 * point (they came over other recorder connections, whose losses started later). So a reconnect
 * does not jump to the end of the loss: each stream resumes after the last frame the session sent
 * of it, and a stream the session has not sent yet starts where the session's last connection
 * stopped reading. A recorded gap holds no frame of its own stream, so the stream that lost data
 * still goes on after the loss — and every recorded frame reaches the bot once.
 *
 * Valid for one generation of the session clock: a seek (or a loop restart) starts from the new
 * time instead.
 */
import type { TapeRecord } from '../schemas/record.js';
import type { ExchangeId } from '../exchanges/types.js';
import type { DisconnectSpan } from './catalog.js';

/** A position in recorded order: (recv_ns, conn_id, seq). */
export interface RecordKey {
  recvNs: bigint;
  connId: string;
  seq: number;
}

export function compareKeys(a: RecordKey, b: RecordKey): number {
  if (a.recvNs !== b.recvNs) return a.recvNs < b.recvNs ? -1 : 1;
  if (a.connId !== b.connId) return a.connId < b.connId ? -1 : 1;
  return a.seq - b.seq;
}

export interface ExchangeResume {
  /** Stream → the last frame the session sent of it. */
  readonly sent: Map<string, RecordKey>;
  /** The last record a connection of this session read from the recording before it closed. */
  position: RecordKey | null;
  /** Recorded disconnects the session already closed a connection for. */
  readonly passed: Set<DisconnectSpan>;
}

export class SessionResume {
  private readonly byExchange = new Map<ExchangeId, { generation: number; state: ExchangeResume }>();

  /** The resume state of one exchange at this clock generation (a fresh one after a seek). */
  forExchange(exchange: ExchangeId, generation: number): ExchangeResume {
    let e = this.byExchange.get(exchange);
    if (!e || e.generation !== generation) {
      e = { generation, state: { sent: new Map(), position: null, passed: new Set() } };
      this.byExchange.set(exchange, e);
    }
    return e.state;
  }
}

/** Just the key of a record (a resume point must not keep the record's payload alive). */
export function keyOf(rec: TapeRecord): RecordKey {
  return { recvNs: rec.recvNs, connId: rec.connId, seq: rec.seq };
}
