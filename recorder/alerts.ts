/** Alerts the operator must see: kept (bounded) for /health, counted for /metrics. */
export interface Alert {
  atMs: number;
  exchange: string;
  stream: string;
  message: string;
  connId: string | null;
  /** Short machine-readable cause where there is one (`refused 401`, `dns`, `unreachable`, `closed on open`). */
  cause?: string;
}

/** Most recent alerts listed in /health. */
const MAX_ALERTS_KEPT = 100;

export class AlertLog {
  private readonly items: Alert[] = [];
  total = 0;
  readonly byExchange = new Map<string, number>();
  /** `<exchange>\t<cause>` → alerts raised (cause '' for alerts without one). */
  readonly byCause = new Map<string, number>();

  add(a: Alert): void {
    this.items.push(a);
    if (this.items.length > MAX_ALERTS_KEPT) this.items.shift();
    this.total += 1;
    this.byExchange.set(a.exchange, (this.byExchange.get(a.exchange) ?? 0) + 1);
    const k = `${a.exchange}\t${a.cause ?? ''}`;
    this.byCause.set(k, (this.byCause.get(k) ?? 0) + 1);
  }

  recent(): Alert[] {
    return [...this.items];
  }

  counts(): Array<{ exchange: string; cause: string; count: number }> {
    return [...this.byCause].map(([k, count]) => {
      const [exchange, cause] = k.split('\t');
      return { exchange, cause, count };
    });
  }
}
