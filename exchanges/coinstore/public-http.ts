/**
 * Coinstore's public REST endpoints on the simulator's and the replay's HTTP port (under
 * `/coinstore/api`, like the trading API): the HTTP edge of `answerPublicRest`, for both servers,
 * whether or not they trade.
 */
import type http from 'node:http';
import type { Instrument } from '../market.js';
import { answerPublicRest, REST_PREFIX, SYMBOLS_PATH } from './rest.js';

/** The largest request body read (the symbol filter is a few ids or codes). */
const MAX_PUBLIC_BODY_BYTES = 64 << 10;

/** Answers a public Coinstore REST request; false for any other path (the caller routes it on). */
export async function serveCoinstorePublicRest(req: http.IncomingMessage, res: http.ServerResponse, instruments: readonly Instrument[], fees: { maker: string; taker: string }): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname.replace(/\/+$/, '') !== `${REST_PREFIX}${SYMBOLS_PATH}`) return false;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_PUBLIC_BODY_BYTES) {
      reply(res, 413, { code: 400, msg: 'Bad Request', data: null, message: `the body is over ${MAX_PUBLIC_BODY_BYTES} bytes` });
      return true;
    }
    chunks.push(c);
  }
  const q = (req.url ?? '').indexOf('?');
  const answer = answerPublicRest(
    { method: req.method ?? 'GET', path: url.pathname.slice(REST_PREFIX.length), query: q >= 0 ? (req.url ?? '').slice(q + 1) : '', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers },
    instruments,
    fees,
  );
  if (!answer) return false;
  reply(res, answer.status, answer.body);
  return true;
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
