/** A plain `ws` client with a message queue, for driving the Coinceres server side in tests. */
import WebSocket from 'ws';

export interface TestSocket {
  ws: WebSocket;
  /** Next text message, optionally the next one matching `pred`; rejects after timeoutMs. */
  next(pred?: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Next message parsed as JSON that matches `pred`. */
  nextJson<T = any>(pred?: (msg: any) => boolean, timeoutMs?: number): Promise<T>;
  send(text: string): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function openSocket(url: string): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const queue: string[] = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data: Buffer) => {
      queue.push(data.toString('utf8'));
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, res })));
    ws.on('error', reject);
    const next = (pred: (t: string) => boolean = () => true, timeoutMs = 3000) =>
      new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no matching message within ${timeoutMs} ms`)), timeoutMs);
        const look = () => {
          const i = queue.findIndex(pred);
          if (i >= 0) {
            clearTimeout(timer);
            res(queue.splice(i, 1)[0]);
            return;
          }
          waiters.push(look);
        };
        look();
      });
    ws.on('open', () =>
      resolve({
        ws,
        next,
        nextJson: (pred = () => true, timeoutMs) =>
          next((t) => {
            try {
              return pred(JSON.parse(t));
            } catch {
              return false;
            }
          }, timeoutMs).then((t) => JSON.parse(t)),
        send: (t) => ws.send(t),
        closed,
        close: () => ws.close(),
      }),
    );
  });
}
