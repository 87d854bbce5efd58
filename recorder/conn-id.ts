/**
 * Connection ids: `<instance>-<process start, base36>-<n>`. Globally unique as long as an instance
 * id is not shared by two live recorders (the journal LOCK forbids that) and a process does not
 * start twice in the same millisecond.
 */
export class ConnIdFactory {
  private n = 0;
  readonly prefix: string;

  constructor(instance: string, processStartMs: number = Date.now()) {
    this.prefix = `${instance}-${processStartMs.toString(36)}`;
  }

  next(): string {
    this.n += 1;
    return `${this.prefix}-${this.n}`;
  }
}
