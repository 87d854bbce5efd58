/**
 * The demo's sample bot: a plain Coinstore client, written from the exchange's documentation only,
 * pointed at the replay server. It subscribes to trades and the book of one symbol and checks the
 * session's `S` numbering as a real bot would.
 */
import WebSocket from 'ws';

interface SampleClientResult {
  frames: number;
  trades: number;
  books: number;
  sHoles: number;
  closeCode: number | null;
  seconds: number;
}

export function runSampleClient(url: string, symbol: string, timeoutMs: number): Promise<SampleClientResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const started = Date.now();
    const r: SampleClientResult = { frames: 0, trades: 0, books: 0, sHoles: 0, closeCode: null, seconds: 0 };
    let lastS = 0;
    const timer = setTimeout(() => ws.close(1000), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ op: 'SUB', channel: [`${symbol}@trade`, `${symbol}@depth@20`], id: 1 })));
    ws.on('message', (data) => {
      r.frames++;
      const msg = JSON.parse(data.toString()) as { S?: number; T?: string; data?: unknown[] };
      if (typeof msg.S === 'number') {
        if (lastS && msg.S !== lastS + 1) r.sHoles++;
        lastS = msg.S;
      }
      if (msg.T === 'trade') r.trades += Array.isArray(msg.data) ? msg.data.length : 1;
      if (msg.T === 'depth') r.books++;
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      r.closeCode = code;
      r.seconds = (Date.now() - started) / 1000;
      resolve(r);
    });
  });
}
