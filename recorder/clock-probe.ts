/**
 * The recorder's clock state, written as a `clock` event every so often so that latency figures
 * computed from recv_ns can be trusted or discounted: the wall clock against the monotonic clock the
 * receive times are built from (core/clock.ts anchors once at start), and the OS's NTP sync status
 * when it tells (systemd's `timedatectl show`, else `chronyc tracking`; else null).
 */
import { execFile } from 'node:child_process';
import { monoNs, nowNs, wallNs } from '../core/clock.js';
import type { ClockPayload } from '../schemas/record.js';

/** Never wait on the OS tool longer than this. */
const NTP_QUERY_TIMEOUT_MS = 2_000;

export interface NtpStatus {
  synced: boolean | null;
  source?: string;
  maxErrorUs?: number;
}

/** Parses `timedatectl show` output (key=value lines). Pure. */
export function parseTimedatectl(text: string): NtpStatus {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const synced = kv.get('NTPSynchronized');
  return { synced: synced === 'yes' ? true : synced === 'no' ? false : null, ...(kv.has('NTP') ? { source: kv.get('NTP') === 'yes' ? 'systemd-timesyncd' : 'none' } : {}) };
}

/** Parses `chronyc -n tracking` (hosts running chrony without systemd's view of it). Pure. */
export function parseChronyTracking(text: string): NtpStatus {
  const leap = /^Leap status\s*:\s*(.+)$/m.exec(text)?.[1]?.trim();
  if (!leap) return { synced: null };
  const root = /^Root dispersion\s*:\s*([0-9.]+) seconds/m.exec(text)?.[1];
  return {
    synced: leap === 'Normal' || leap.startsWith('Insert') || leap.startsWith('Delete'),
    source: 'chrony',
    ...(root ? { maxErrorUs: Math.round(Number(root) * 1e6) } : {}),
  };
}

function run(cmd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: NTP_QUERY_TIMEOUT_MS }, (err, stdout) => resolve(err ? null : String(stdout)));
  });
}

/** Asks the OS: systemd's timedatectl first, then chrony; { synced: null } when neither answers. */
export async function queryNtpStatus(): Promise<NtpStatus> {
  const td = await run('timedatectl', ['show']);
  const a = td === null ? null : parseTimedatectl(td);
  if (a && a.synced !== null) return a;
  const ch = await run('chronyc', ['-n', 'tracking']);
  const b = ch === null ? null : parseChronyTracking(ch);
  return b && b.synced !== null ? b : { synced: null };
}

/** A clock payload from the current clocks and the last known NTP status. */
export function clockPayload(ntp: NtpStatus): ClockPayload {
  const recv = nowNs();
  const wall = wallNs();
  return {
    wall_ns: String(wall),
    mono_ns: String(monoNs()),
    drift_ns: String(wall - recv),
    ntp_synced: ntp.synced,
    ...(ntp.source ? { ntp_source: ntp.source } : {}),
    ...(ntp.maxErrorUs !== undefined ? { max_error_us: ntp.maxErrorUs } : {}),
  };
}
