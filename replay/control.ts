/**
 * The replay control API (HTTP on the replay port):
 *   GET  /control/sessions                 sessions with their clock (speed, recorded time, paused)
 *   POST /control/sessions/<id>/pause      freeze the session's clock
 *   POST /control/sessions/<id>/resume
 *   POST /control/sessions/<id>/seek?to=T  jump to recorded time T (ISO 8601 or epoch ms/ns)
 *   GET  /control/stats                    frames, bytes, lateness p50/p99/max, backpressure pauses
 *   GET  /control/catalog                  streams per exchange with their time ranges
 * Every control request must name this server in Host and come from its own origin (or say
 * nothing of where it comes from), and carry the bearer token when one is set (`--control-token`,
 * TICKTAPE_CONTROL_TOKEN): core/control-guard.ts.
 */
import type http from 'node:http';
import { parseTimeArg } from '../core/time-arg.js';
import { checkControlRequest, type ControlGuardOptions } from '../core/control-guard.js';
import type { Catalog } from './catalog.js';
import type { ReplaySessionInfo } from './sessions.js';
import type { ReplayStats } from './stats.js';

interface ControlDeps {
  sessions: Map<string, ReplaySessionInfo>;
  stats: ReplayStats;
  catalog: Catalog;
  /** Who may send control requests (the listening port is known once the server listens). */
  guard(): ControlGuardOptions;
  /** A control request was refused (logged). */
  refused?(path: string, message: string, origin: string | null): void;
}

function json(res: http.ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  return true;
}

function describe(s: ReplaySessionInfo) {
  return {
    id: s.id,
    speed: s.clock.speed,
    startNs: s.clock.startNs,
    nowNs: s.clock.nowRecordedNs(),
    now: new Date(Number(s.clock.nowRecordedNs() / 1_000_000n)).toISOString(),
    paused: s.clock.paused,
    connections: s.connections,
  };
}

export function handleControl(req: http.IncomingMessage, res: http.ServerResponse, deps: ControlDeps): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith('/control/')) return false;
  const verdict = checkControlRequest(req.headers, deps.guard());
  if (!verdict.ok) {
    deps.refused?.(url.pathname, verdict.message, req.headers.origin ?? null);
    if (verdict.status === 401) res.setHeader('www-authenticate', 'Bearer');
    return json(res, verdict.status, { error: verdict.message });
  }
  const parts = url.pathname.split('/').filter(Boolean); // control, sessions, id, action
  if (req.method === 'GET' && parts[1] === 'stats') return json(res, 200, deps.stats.toJSON());
  if (req.method === 'GET' && parts[1] === 'catalog') {
    const out: Record<string, unknown> = {};
    for (const [ex, c] of Object.entries(deps.catalog)) {
      out[ex] = { firstNs: c.firstNs, lastNs: c.lastNs, streams: Object.fromEntries([...c.streams].map(([k, v]) => [k, v])) };
    }
    return json(res, 200, out);
  }
  if (parts[1] !== 'sessions') return json(res, 404, { error: 'unknown control path' });
  if (req.method === 'GET' && parts.length === 2) return json(res, 200, [...deps.sessions.values()].map(describe));
  const s = parts[2] ? deps.sessions.get(parts[2]) : undefined;
  if (!s) return json(res, 404, { error: `no session "${parts[2] ?? ''}"` });
  if (req.method === 'GET' && parts.length === 3) return json(res, 200, describe(s));
  if (req.method !== 'POST') return json(res, 405, { error: 'use POST for pause, resume and seek' });
  switch (parts[3]) {
    case 'pause':
      s.clock.pause();
      return json(res, 200, describe(s));
    case 'resume':
      s.clock.resume();
      return json(res, 200, describe(s));
    case 'seek': {
      const to = url.searchParams.get('to');
      if (!to) return json(res, 400, { error: 'seek needs ?to=<time>' });
      try {
        s.clock.seekTo(parseTimeArg(to, 'to'));
      } catch (err) {
        return json(res, 400, { error: (err as Error).message });
      }
      return json(res, 200, describe(s));
    }
    default:
      return json(res, 404, { error: `unknown action "${parts[3] ?? ''}": use pause, resume or seek` });
  }
}
