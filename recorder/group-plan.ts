/**
 * Which connections an exchange plan needs, and how a new plan maps onto the connections already
 * running (for SIGHUP reloads: keep what overlaps and change its subscriptions live, open what is
 * new, close what is gone). Pure.
 */
import type { ExchangeModule, StreamSpec } from '../exchanges/types.js';
import type { ExchangePlan } from './config.js';

export interface PlannedGroup {
  exchange: string;
  endpoint: string;
  streams: StreamSpec[];
}

export function planGroups(plan: ExchangePlan, mod: ExchangeModule): PlannedGroup[] {
  return mod.client
    .planConnections(plan.streams)
    .filter((g) => g.length > 0)
    .map((streams) => ({ exchange: plan.id, endpoint: streams[0].endpoint, streams }));
}

/** URL of an endpoint: explicit per-endpoint URL, else base URL + the endpoint's path, else production. */
export function endpointUrl(plan: ExchangePlan, mod: ExchangeModule, endpoint: string): string {
  const info = mod.client.endpoints[endpoint];
  if (plan.urls[endpoint]) return plan.urls[endpoint];
  if (plan.baseUrl && info) {
    // a byte stream (tcp://host:port) has no paths: the base URL is the endpoint's whole address
    const scheme = new URL(plan.baseUrl).protocol.replace(/:$/, '');
    const tcp = mod.tcp;
    if (tcp && tcp.endpoint === endpoint && [...tcp.schemes.plain, ...tcp.schemes.tls].includes(scheme as never)) return plan.baseUrl;
    return `${plan.baseUrl.replace(/\/+$/, '')}${info.simPath}`;
  }
  if (!info) throw new Error(`${plan.id} has no endpoint ${endpoint}`);
  return info.url;
}

interface ExistingGroup {
  exchange: string;
  endpoint: string;
  keys: ReadonlySet<string>;
}

interface GroupMatch<E> {
  /** Existing group → the planned group it becomes (its subscriptions change live). */
  keep: Array<{ existing: E; next: PlannedGroup }>;
  create: PlannedGroup[];
  remove: E[];
}

/** Greedy: each planned group takes the unmatched existing group of its endpoint it overlaps most. */
export function matchGroups<E extends ExistingGroup>(existing: readonly E[], planned: readonly PlannedGroup[]): GroupMatch<E> {
  const free = new Set(existing);
  const out: GroupMatch<E> = { keep: [], create: [], remove: [] };
  const scored = planned.map((p) => ({ p, keys: new Set(p.streams.map((s) => s.key)) }));
  // Exact matches first, so an unchanged connection is never reshuffled.
  const pending: typeof scored = [];
  for (const s of scored) {
    const exact = [...free].find((e) => e.exchange === s.p.exchange && e.endpoint === s.p.endpoint && e.keys.size === s.keys.size && [...s.keys].every((k) => e.keys.has(k)));
    if (exact) {
      free.delete(exact);
      out.keep.push({ existing: exact, next: s.p });
    } else pending.push(s);
  }
  for (const s of pending) {
    let best: E | null = null;
    let bestOverlap = 0;
    for (const e of free) {
      if (e.exchange !== s.p.exchange || e.endpoint !== s.p.endpoint) continue;
      let n = 0;
      for (const k of s.keys) if (e.keys.has(k)) n += 1;
      if (n > bestOverlap) {
        best = e;
        bestOverlap = n;
      }
    }
    if (best) {
      free.delete(best);
      out.keep.push({ existing: best, next: s.p });
    } else out.create.push(s.p);
  }
  out.remove = [...free];
  return out;
}
