/**
 * On a terminal, a compact live status line per stream on stderr, redrawn in place every second:
 *   coinstore  btcusdt@trade        up   12.3/s  last 0.1s  frames 1234  gaps 0  rc 0
 * Off when stderr is not a TTY (systemd, pipes): the JSON logs are the record there.
 */
import type { HealthDoc } from './health.js';

const STATUS_INTERVAL_MS = 1_000;

export function formatStatusLines(doc: HealthDoc, width = 120): string[] {
  const lines = doc.streams.map((s) => {
    const state = s.refused ? 'REFUSED' : s.open_gap ? 'GAP' : s.connected ? 'up' : 'down';
    const age = s.last_frame_age_ms === null ? '-' : `${(s.last_frame_age_ms / 1000).toFixed(1)}s`;
    // Long keys (Coinsuper topics) differ at the end: keep the tail.
    const name = s.stream.length > 40 ? `…${s.stream.slice(-39)}` : s.stream;
    return `${s.exchange.padEnd(10)} ${name.padEnd(40)} ${state.padEnd(7)} ${s.frames_per_s.toFixed(1).padStart(8)}/s  last ${age.padStart(6)}  frames ${String(s.frames).padStart(8)}  gaps ${s.gaps}  rc ${s.reconnects}`.slice(0, width);
  });
  lines.push(`[${doc.status}] ${doc.instance}  journal ${doc.journal ? (doc.journal.bytes_written / 1e6).toFixed(1) : '?'} MB  alerts ${doc.alerts_total}`.slice(0, width));
  return lines;
}

export class StatusLine {
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly snapshot: () => HealthDoc,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), STATUS_INTERVAL_MS);
    this.timer.unref?.();
  }

  private draw(): void {
    const lines = formatStatusLines(this.snapshot(), this.stream.columns || 120);
    let out = this.drawn ? `\x1b[${this.drawn}F` : '';
    for (const l of lines) out += `\x1b[2K${l}\n`;
    this.stream.write(out);
    this.drawn = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
