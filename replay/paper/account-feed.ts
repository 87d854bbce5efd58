/**
 * A replay connection's feed with paper trading on: market streams come from the recording (the
 * connection's cursor), private streams — balances, orders, fills, positions — from the session's
 * paper account, exactly as the simulator routes its demo account (a stream of one symbol gets that
 * symbol's events; an account stream of one currency that currency's balances). The recorded
 * private frames are not replayed: the paper account replaces the recorded one. A request/response
 * socket's `trading` stream (Coinceres) takes no recorded answers either: the account answers.
 */
import type { SessionFeed } from '../../exchanges/host.js';
import { matchInstrument, type Instrument } from '../../exchanges/market.js';
import type { StreamKind, StreamSpec } from '../../exchanges/types.js';
import type { PaperEvent } from './types.js';

const KIND_OF: Record<PaperEvent['type'], StreamKind> = { balance: 'account', order: 'order', fill: 'fill', position: 'position' };
const PAPER_KINDS = new Set<StreamKind>(['account', 'order', 'fill', 'position', 'trading']);

interface AccountEvents {
  subscribe(fn: (e: PaperEvent) => void): () => void;
}

/** Whether `e` belongs on `stream` (a private stream of the account). */
function routesTo(stream: StreamSpec, e: PaperEvent, instruments: readonly Instrument[]): boolean {
  // an order change that is an execution goes to fill streams too: it names the order's type, which
  // a fill alone does not (Coinsuper's trade push needs it; its broker publishes each fill once)
  const kind = e.type === 'order' && e.fill && stream.kind === 'fill' ? 'fill' : KIND_OF[e.type];
  if (kind !== stream.kind) return false;
  const inst = stream.symbol ? matchInstrument(instruments, stream.symbol) : undefined;
  if (e.type === 'balance') {
    const cur = stream.params.currency;
    if (typeof cur === 'string' && cur.toUpperCase() !== e.currency.toUpperCase()) return false;
    return !inst || inst.base === e.currency || inst.quote === e.currency;
  }
  return !stream.symbol || (inst !== undefined && inst.id === e.inst.id);
}

export function paperFeed(inner: SessionFeed, account: AccountEvents, instruments: readonly Instrument[]): SessionFeed {
  const subs = new Map<string, () => void>();
  return {
    subscribe(stream, deliver) {
      if (!PAPER_KINDS.has(stream.kind)) return inner.subscribe(stream, deliver);
      subs.get(stream.key)?.();
      subs.set(
        stream.key,
        account.subscribe((event) => {
          if (routesTo(stream, event, instruments)) deliver({ type: 'event', event });
        }),
      );
      return { ok: true };
    },
    unsubscribe(key) {
      const off = subs.get(key);
      if (off) {
        off();
        subs.delete(key);
      } else inner.unsubscribe(key);
    },
    close() {
      for (const off of subs.values()) off();
      subs.clear();
      inner.close();
    },
  };
}
