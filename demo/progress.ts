/** A one-line progress display on stderr (redrawn in place on a TTY, a line every few seconds otherwise). */
export class ProgressLine {
  private lastPlainMs = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(fraction: number, text: string): void {
    const width = 24;
    const done = Math.max(0, Math.min(width, Math.round(fraction * width)));
    const line = `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${text}`;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
    } else if (Date.now() - this.lastPlainMs >= 5_000) {
      this.lastPlainMs = Date.now();
      this.out.write(`${line}\n`);
    }
  }

  done(text: string): void {
    if (this.out.isTTY) this.out.write('\r\x1b[2K');
    this.out.write(`${text}\n`);
  }
}
