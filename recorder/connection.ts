/**
 * One connection of the recorder: the socket (a ws WebSocket, or a TcpMessageSocket for an
 * exchange also spoken over a byte stream — Coinsuper's `tcp://`/`mqtts://`), the exchange's
 * ClientSession (the protocol, no I/O), and the recording of everything that crosses it. Every frame in and out, every
 * WebSocket ping/pong and every control event becomes a TapeRecord with a per-connection sequence
 * that starts at 1 and never skips. What to do about drops, staleness and rotation is the
 * ConnectionGroup's business (connection-group.ts); this file only reports.
 */
import type { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { nowNs } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { ClientSession, Credentials, ExchangeModule, FrameInfo, OutFrame, StreamSpec } from '../exchanges/types.js';
import { FLAG_MALFORMED, FLAG_REDACTED, FLAG_SYNTHETIC, type Direction, type EventKind, type GapPayload, type RecordKind, type TapeRecord } from '../schemas/record.js';
import { closedOnOpenFailure, connectErrorFailure, refusedFailure, type ConnectFailure } from './connect-failure.js';
import { SequenceTracker } from './sequence-tracker.js';
import { TcpMessageSocket } from './tcp-socket.js';

/** Give up on a WebSocket handshake after this long. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * A connect still unresolved after this long is given up (cause "unreachable"): ws's handshake
 * timeout normally fires first, this bounds the attempt whatever hangs (a DNS lookup, a TCP connect).
 */
const CONNECT_DEADLINE_MS = HANDSHAKE_TIMEOUT_MS + 2_000;
/** After a local close, wait this long for the closing handshake before terminating the socket. */
const CLOSE_GRACE_MS = 1_000;
/**
 * TCP keep-alive on every socket, idle time before the first probe: a connection that died without
 * a FIN (a NAT dropping state, a rebooted peer) is noticed by the OS even on streams that are quiet
 * for hours, where neither data nor every exchange's heartbeat would tell.
 */
const TCP_KEEPALIVE_IDLE_MS = 30_000;
/** Largest frame accepted from an exchange. */
const MAX_INBOUND_FRAME_BYTES = 64 << 20;

/** What a connection uses of its socket: ws's WebSocket, which TcpMessageSocket mirrors for byte streams. */
interface RecorderSocket extends EventEmitter {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string | Uint8Array, opts: { binary: boolean }): void;
  ping(): void;
  pong(data: Uint8Array): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** The byte-stream transport of `url` when the exchange speaks one and the URL's scheme names it (`tcp:`, `mqtts:`), else null (a WebSocket). */
export function byteStreamOf(mod: ExchangeModule, url: string): { tls: boolean } | null {
  const tcp = mod.tcp;
  if (!tcp) return null;
  const scheme = new URL(url).protocol.replace(/:$/, '');
  if ((tcp.schemes.plain as readonly string[]).includes(scheme)) return { tls: false };
  if ((tcp.schemes.tls as readonly string[]).includes(scheme)) return { tls: true };
  return null;
}

export interface RecordSink {
  append(rec: TapeRecord): void;
}

export type CloseInitiator = 'local' | 'remote';

export interface ConnectionHooks {
  /** Flags to add to an incoming data frame before it is recorded (FLAG_OVERLAP during a rotation). */
  frameFlags(conn: Connection, info: FrameInfo, recvNs: bigint): number;
  /** After an incoming frame (and its replies) is recorded. */
  afterFrame(conn: Connection, info: FrameInfo, recvNs: bigint, flags: number, bytes: number): void;
  onOpen(conn: Connection): void;
  onAck(conn: Connection, stream: string, ok: boolean, reason: string | undefined): void;
  /** Several streams refused by one reply (an exchange that refuses a whole command for one bad channel). */
  onBatchRefused(conn: Connection, streams: string[], reason: string): void;
  onAuth(conn: Connection, ok: boolean, reason: string | undefined): void;
  onRateLimited(conn: Connection, retryAfterMs: number | null): void;
  onClose(conn: Connection, code: number, reason: string, initiator: CloseInitiator): void;
}

interface ConnectionOptions {
  module: ExchangeModule;
  endpoint: string;
  endpointUrl: string;
  streams: StreamSpec[];
  credentials: Credentials | null;
  connId: string;
  sink: RecordSink;
  hooks: ConnectionHooks;
  log: Logger;
}

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function json(obj: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(obj), 'utf8');
}

export class Connection {
  readonly connId: string;
  readonly exchange: string;
  readonly endpoint: string;
  readonly session: ClientSession;
  /** Recorder sequence of the last record of this connection. */
  seq = 0;
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  openedNs: bigint | null = null;
  closedNs: bigint | null = null;
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  /** Data frames received (not control frames, not malformed). */
  dataFrames = 0;
  /**
   * Why this connection brought no data, once it is closed: it never opened (refused, dns,
   * unreachable, ...) or it was closed by the other side right after opening. Null for an ordinary
   * disconnect or a close of ours.
   */
  failure: ConnectFailure | null = null;
  /** Last data frame per stream on this connection, and when each stream was subscribed. */
  readonly lastDataNs = new Map<string, bigint>();
  readonly subscribedNs = new Map<string, bigint>();
  private ws: RecorderSocket | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  /**
   * A byte stream (MQTT on TCP) is open once TCP connects, before the server said anything: the
   * connect deadline then runs on until its first message (the CONNACK), as a WebSocket's runs
   * until the server answers the upgrade.
   */
  private byteStream = false;
  private localClose: { code: number; reason: string } | null = null;
  private readonly sessionSeq = new SequenceTracker();
  /** A batch refusal was already answered by subscribing one by one. */
  private batchRetried = false;
  private readonly sink: RecordSink;
  private readonly hooks: ConnectionHooks;
  private readonly log: Logger;
  private readonly safeUrl: string;

  constructor(private readonly opts: ConnectionOptions) {
    this.connId = opts.connId;
    this.exchange = opts.module.id;
    this.endpoint = opts.endpoint;
    this.sink = opts.sink;
    this.hooks = opts.hooks;
    this.log = opts.log;
    this.session = opts.module.client.createSession({
      endpointUrl: opts.endpointUrl,
      endpoint: opts.endpoint,
      streams: opts.streams,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      nowMs: () => Date.now(),
    });
    this.safeUrl = this.session.safeUrl;
  }

  // ---------------------------------------------------------------------------------------------
  // Recording

  private record(direction: Direction, kind: RecordKind, stream: string, payload: Uint8Array, flags: number, recvNs: bigint = nowNs()): void {
    this.seq += 1;
    this.sink.append({ exchange: this.exchange, connId: this.connId, seq: this.seq, recvNs, direction, kind, stream, endpoint: this.safeUrl, payload, flags });
  }

  /** Writes a control event of this connection. */
  event(kind: EventKind, stream: string, payload: unknown, recvNs?: bigint): void {
    this.record('event', kind, stream, json(payload), FLAG_SYNTHETIC, recvNs);
  }

  gap(payload: GapPayload, recvNs?: bigint): void {
    this.event('gap', payload.stream, payload, recvNs);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  private openSocket(): RecorderSocket {
    const stream = byteStreamOf(this.opts.module, this.session.url);
    if (stream) {
      this.byteStream = true;
      return new TcpMessageSocket({
        url: new URL(this.session.url),
        tls: stream.tls,
        framer: this.opts.module.tcp!.framer(MAX_INBOUND_FRAME_BYTES),
        connectTimeoutMs: HANDSHAKE_TIMEOUT_MS,
        keepAliveIdleMs: TCP_KEEPALIVE_IDLE_MS,
      });
    }
    const ws = new WebSocket(this.session.url, this.session.protocols ?? [], {
      headers: this.session.headers,
      perMessageDeflate: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: MAX_INBOUND_FRAME_BYTES,
      // Pongs are sent (and recorded) here, so the journal holds exactly what went out.
      autoPong: false,
      followRedirects: false,
    });
    ws.binaryType = 'nodebuffer';
    return ws;
  }

  start(): void {
    const ws = this.openSocket();
    this.ws = ws;
    ws.on('upgrade', (res: IncomingMessage) => res.socket.setKeepAlive(true, TCP_KEEPALIVE_IDLE_MS));
    ws.on('open', () => this.handleOpen());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.handleMessage(data, isBinary);
      } catch (err) {
        // The frame is already journaled; a bug in handling it must not take the recorder down.
        this.log.error({ connId: this.connId, err: (err as Error)?.stack ?? String(err) }, 'internal error while handling a frame');
      }
    });
    ws.on('ping', (data: Buffer) => this.handlePing(data));
    ws.on('pong', (data: Buffer) => this.record('in', 'pong', '', new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0));
    ws.on('unexpected-response', (_req, res: IncomingMessage) => this.handleUnexpectedResponse(res));
    ws.on('error', (err: NodeJS.ErrnoException) => {
      this.log.debug({ connId: this.connId, err: err.message }, 'socket error');
      if (this.state === 'connecting' && !this.localClose) {
        this.failure ??= connectErrorFailure(err);
        this.finish(1006, `connect failed: ${err.message}`, 'remote');
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const initiator: CloseInitiator = this.localClose ? 'local' : 'remote';
      this.finish(code, this.localClose?.reason ?? reason.toString('utf8'), initiator);
    });
    this.connectTimer = setTimeout(() => {
      if (this.localClose) return;
      if (this.state === 'connecting') {
        this.failure ??= { cause: 'unreachable', detail: `no answer from the endpoint within ${CONNECT_DEADLINE_MS} ms: check the URL, the network and the firewall` };
      } else if (this.state === 'open' && this.byteStream && this.framesIn === 0) {
        this.failure ??= {
          cause: 'unreachable',
          detail: `the endpoint accepted the TCP connection but sent nothing within ${CONNECT_DEADLINE_MS} ms (no protocol answer): check the URL's port and that it speaks the exchange's protocol`,
        };
      } else return;
      this.finish(1006, 'connect timed out', 'remote');
      ws.terminate();
    }, CONNECT_DEADLINE_MS);
    this.connectTimer.unref?.();
  }

  private handleOpen(): void {
    if (this.connectTimer && !this.byteStream) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    this.state = 'open';
    this.openedNs = nowNs();
    this.event('connected', '', { url: this.safeUrl, protocol: this.ws?.protocol ?? '' }, this.openedNs);
    for (const s of this.opts.streams) this.subscribedNs.set(s.key, this.openedNs);
    this.sendAll(this.session.onOpen());
    const hb = this.session.heartbeat;
    if (hb) {
      this.heartbeatTimer = setInterval(() => {
        try {
          const frame = hb.frame();
          if (frame === 'ws-ping') this.sendPing();
          else this.send(frame);
        } catch (err) {
          this.log.error({ connId: this.connId, err: (err as Error)?.message }, 'heartbeat failed');
        }
      }, hb.intervalMs);
      this.heartbeatTimer.unref?.();
    }
    this.hooks.onOpen(this);
  }

  private handleUnexpectedResponse(res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    if (status === 429 || status === 418) {
      const ra = Number(res.headers['retry-after']);
      this.hooks.onRateLimited(this, Number.isFinite(ra) && ra > 0 ? ra * 1000 : null);
    }
    res.resume();
    this.failure ??= refusedFailure(status);
    this.finish(1006, `handshake refused: HTTP ${status}`, 'remote');
    this.ws?.terminate();
  }

  private handleMessage(data: Buffer, isBinary: boolean): void {
    const recvNs = nowNs();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let info: FrameInfo;
    try {
      info = this.session.onFrame(bytes, isBinary);
    } catch (err) {
      // A reader that throws is treated like a frame it could not parse: kept raw, flagged, not fatal.
      this.log.debug({ connId: this.connId, err: (err as Error).message }, 'frame reader threw');
      info = { stream: '', malformed: true, control: false };
    }
    this.framesIn += 1;
    this.bytesIn += bytes.byteLength;
    if (this.connectTimer) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    let flags = info.malformed ? FLAG_MALFORMED : 0;
    const isData = !info.malformed && !info.control && info.stream !== '';
    if (isData) flags |= this.hooks.frameFlags(this, info, recvNs);
    this.record('in', isBinary ? 'binary' : 'text', info.stream, bytes, flags, recvNs);
    if (isData) {
      this.lastDataNs.set(info.stream, recvNs);
      this.dataFrames += 1;
    }
    // a session-sequence gap is the record right after the frame that revealed it (replay relies on it)
    if (info.sequences) {
      for (const s of info.sequences) {
        if (s.scope !== 'session') continue;
        const gap = this.sessionSeq.observe('session', s.value, recvNs);
        if (gap) {
          this.gap(
            {
              stream: '',
              start_ns: String(gap.startNs),
              end_ns: String(gap.endNs),
              cause: 'sequence',
              detail: 'session sequence skipped',
              expected: String(gap.expected),
              got: String(gap.got),
              lost_frames: gap.lost,
            },
            recvNs,
          );
        }
      }
    }
    if (info.replies?.length) this.sendAll(info.replies);
    if (info.auth) {
      if (!info.auth.ok) this.event('refused', '', { stream: '', reason: info.auth.reason ?? 'authentication refused' });
      this.hooks.onAuth(this, info.auth.ok, info.auth.reason);
    }
    if (info.acks) {
      const refused = info.acks.filter((a) => !a.ok);
      if (refused.length > 1 && !this.batchRetried) {
        // One reply refusing several streams: probably one bad channel sinking a whole command.
        // The group subscribes them one by one once, so the good ones are not lost.
        this.batchRetried = true;
        const reason = refused[0].reason ?? 'refused';
        this.event('refused', '', { streams: refused.map((a) => a.stream), reason, retrying: 'one by one' });
        this.hooks.onBatchRefused(
          this,
          refused.map((a) => a.stream),
          reason,
        );
        info = { ...info, acks: info.acks.filter((a) => a.ok) };
      }
      for (const a of info.acks ?? []) {
        if (a.ok) {
          this.subscribedNs.set(a.stream, recvNs);
          this.event('subscribed', a.stream, { stream: a.stream, ack: 'ok' });
        } else {
          this.event('refused', a.stream, { stream: a.stream, reason: a.reason ?? 'refused' });
        }
        this.hooks.onAck(this, a.stream, a.ok, a.reason);
      }
    }
    if (info.rateLimited) this.hooks.onRateLimited(this, null);
    this.hooks.afterFrame(this, info, recvNs, flags, bytes.byteLength);
  }

  private handlePing(data: Buffer): void {
    const payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.record('in', 'ping', '', payload, 0);
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.pong(data);
      this.record('out', 'pong', '', payload, 0);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  send(frame: OutFrame): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame.data, { binary: frame.binary });
    this.framesOut += 1;
    this.record('out', frame.binary ? 'binary' : 'text', frame.stream ?? '', frame.stored ?? bytesOf(frame.data), frame.stored ? FLAG_REDACTED : 0);
  }

  sendAll(frames: OutFrame[]): void {
    for (const f of frames) this.send(f);
  }

  sendPing(): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.ping();
    this.record('out', 'ping', '', new Uint8Array(0), 0);
  }

  subscribe(streams: StreamSpec[]): void {
    if (!streams.length) return;
    const t = nowNs();
    for (const s of streams) this.subscribedNs.set(s.key, t);
    this.sendAll(this.session.subscribe(streams));
  }

  unsubscribe(streams: StreamSpec[]): void {
    if (!streams.length) return;
    for (const s of streams) {
      this.subscribedNs.delete(s.key);
      this.lastDataNs.delete(s.key);
    }
    this.sendAll(this.session.unsubscribe(streams));
  }

  /** Closes from our side; resolves once the socket is closed (or terminated after CLOSE_GRACE_MS). */
  close(code: number, reason: string): Promise<void> {
    if (this.state === 'closed' || !this.ws) {
      this.state = 'closed';
      return Promise.resolve();
    }
    this.localClose ??= { code, reason };
    const ws = this.ws;
    return new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) {
        // ws raises 'error' + 'close' when a connecting socket is aborted.
        ws.terminate();
        return;
      }
      ws.close(code, reason);
      this.closeTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      this.closeTimer.unref?.();
    });
  }

  private finish(code: number, reason: string, initiator: CloseInitiator): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedNs = nowNs();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.heartbeatTimer = null;
    if (this.openedNs !== null && !this.failure) {
      this.failure = closedOnOpenFailure({
        openForMs: Number((this.closedNs - this.openedNs) / 1_000_000n),
        dataFrames: this.dataFrames,
        remote: initiator === 'remote',
        code,
        reason,
      });
    }
    this.event('disconnected', '', { code, reason, initiator }, this.closedNs);
    this.hooks.onClose(this, code, reason, initiator);
  }
}
