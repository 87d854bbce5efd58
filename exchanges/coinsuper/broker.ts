/**
 * Server side of one Coinsuper connection: an MQTT 3.1.1 broker for a single client (simulator and
 * replay), the same over WebSocket (`/coinsuper/mqtt`, `/mqtt`) and over plain TCP — it reads
 * packets from whatever messages the host hands it and never knows which transport that is. It
 * checks CONNECT (protocol level, the public userCode or the private sign), takes the client id over
 * from an older connection holding it (MQTT-3.1.4-2), answers SUBSCRIBE/UNSUBSCRIBE/PINGREQ,
 * enforces the keep-alive, and publishes each item of a subscribed stream with the subscriber's
 * QoS, running the PUBACK / PUBREC-PUBREL-PUBCOMP flows. A packet declaring more than the host's
 * message limit is refused before any of it is buffered, however it is split across messages.
 */
import type { BalanceEvent, FillEvent, TradeEvent } from '../market.js';
import type { FeedItem, ServerContext, ServerSession, SessionLink, StreamSpec } from '../types.js';
import { verifyPrivateLogin, type CoinsuperCredentials } from './auth.js';
import { assetPayload, depthChartPayload, fillPayload, klinePayload, orderBookPayload, orderPayload, orderState, tickersPayload } from './format.js';
import { encode, PacketIds, PacketReader, publishPacket, readFrame, type Packet, type QoS } from './packets.js';
import { CONNACK, CONNECT_TIMEOUT_MS, KEEPALIVE_GRACE_FACTOR, MAX_INFLIGHT_MESSAGES, MQTT_PROTOCOL_LEVEL, MQTT_PROTOCOL_LEVEL_31, PRIVATE_USERNAME, PUBLIC_USERNAME, PUBLIC_USER_CODE, SUBACK_FAILURE, TRADE_WINDOW_SIZE } from './protocol.js';
import { topicToSpec } from './topics.js';

/** WebSocket close codes the broker uses. MQTT itself only "closes the network connection". */
const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  POLICY: 1008,
} as const;

const PINGRESP = encode({ cmd: 'pingresp' });

/** Fill ids remembered per session, so a fill delivered alone and inside its order goes out once. */
const REMEMBERED_FILLS = 4_096;

type State = 'awaiting-connect' | 'connected' | 'closed';

interface Outgoing {
  topic: string;
  /** Waiting for PUBACK (QoS 1), PUBREC (QoS 2), then PUBCOMP after our PUBREL. */
  stage: 'puback' | 'pubrec' | 'pubcomp';
}

export class CoinsuperBroker implements ServerSession {
  private state: State = 'awaiting-connect';
  private readonly reader: PacketReader;
  private readonly ids = new PacketIds();
  private readonly subs = new Map<string, QoS>();
  private readonly outgoing = new Map<number, Outgoing>();
  /** Packet ids of the client's own QoS 2 PUBLISHes awaiting its PUBREL. */
  private readonly incomingQos2 = new Set<number>();
  /** Rolling trade windows for feeds that deliver single trades on a tickers stream. */
  private readonly windows = new Map<string, TradeEvent[]>();
  private readonly sentFills = new Set<string>();
  private account: CoinsuperCredentials | null = null;
  private idleLimitMs: number;
  private lastPacketMs: number;
  private timer: NodeJS.Timeout | null = null;
  private lifeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly link: SessionLink,
    private readonly ctx: ServerContext,
  ) {
    this.reader = new PacketReader(link.maxMessageBytes);
    // Keep-alive runs on the wall clock: ctx.nowMs() may be the simulator's logical or a replay's clock.
    this.lastPacketMs = Date.now();
    // An explicit idle timeout in the context (tests, fault injection) overrides the keep-alive rule.
    this.idleLimitMs = ctx.timing.idleTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.arm();
    // Coinsuper documents no lifetime (maxLifeMs 0); a limit given in the context is fault injection.
    // There is no server heartbeat either: MQTT lets only the client ping, so heartbeatMs is unused.
    const lifeMs = ctx.timing.maxLifeMs ?? 0;
    if (lifeMs > 0) this.lifeTimer = setTimeout(() => this.drop(CLOSE.GOING_AWAY, 'connection lifetime reached, reconnect'), lifeMs);
  }

  /** QoS 1/2 messages sent and not yet fully acknowledged (observability, tests). */
  get inflight(): number {
    return this.outgoing.size;
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  // ----------------------------------------------------------------------------- incoming packets

  onMessage(data: Uint8Array, binary: boolean): void {
    if (this.state === 'closed') return;
    if (!binary) return this.drop(CLOSE.PROTOCOL_ERROR, 'MQTT over WebSocket needs binary frames');
    const { packets, error } = this.reader.push(data);
    this.lastPacketMs = Date.now();
    for (const p of packets) {
      if (this.closed) return;
      this.handle(p);
    }
    if (error && !this.closed) this.drop(CLOSE.PROTOCOL_ERROR, `malformed MQTT packet: ${error.message}`);
  }

  private handle(p: Packet): void {
    if (this.state === 'awaiting-connect') {
      if (p.cmd !== 'connect') return this.drop(CLOSE.PROTOCOL_ERROR, 'the first packet must be CONNECT');
      return this.connect(p);
    }
    switch (p.cmd) {
      case 'connect':
        return this.drop(CLOSE.PROTOCOL_ERROR, 'second CONNECT on one connection');
      case 'subscribe':
        // MQTT-3.8.3-3 / 3.10.3-2: at least one topic, else a protocol violation.
        if (p.subscriptions.length === 0) return this.drop(CLOSE.PROTOCOL_ERROR, 'SUBSCRIBE without a topic');
        return this.subscribe(p.messageId ?? 0, p.subscriptions);
      case 'unsubscribe': {
        if (p.unsubscriptions.length === 0) return this.drop(CLOSE.PROTOCOL_ERROR, 'UNSUBSCRIBE without a topic');
        for (const topic of p.unsubscriptions) {
          if (this.subs.delete(topic)) {
            this.windows.delete(topic);
            this.link.unsubscribe(topic);
          }
        }
        return this.send(encode({ cmd: 'unsuback', messageId: p.messageId, granted: [] }));
      }
      case 'pingreq':
        return this.send(PINGRESP);
      case 'puback':
      case 'pubcomp': {
        const o = this.outgoing.get(p.messageId ?? -1);
        if (o && o.stage === p.cmd) this.outgoing.delete(p.messageId!);
        return;
      }
      case 'pubrec': {
        const o = this.outgoing.get(p.messageId ?? -1);
        if (o && o.stage === 'pubrec') o.stage = 'pubcomp';
        // PUBREL is answered even for an unknown id: the client then completes its side.
        return this.send(encode({ cmd: 'pubrel', messageId: p.messageId }));
      }
      case 'publish':
        // [ASSUMPTION] Clients have nothing to publish on Coinsuper: acknowledged per QoS, then dropped.
        if (p.qos === 1) this.send(encode({ cmd: 'puback', messageId: p.messageId }));
        if (p.qos === 2) {
          this.incomingQos2.add(p.messageId!);
          this.send(encode({ cmd: 'pubrec', messageId: p.messageId }));
        }
        return;
      case 'pubrel':
        this.incomingQos2.delete(p.messageId ?? -1);
        return this.send(encode({ cmd: 'pubcomp', messageId: p.messageId }));
      case 'disconnect':
        return this.drop(CLOSE.NORMAL, 'DISCONNECT');
      default:
        return this.drop(CLOSE.PROTOCOL_ERROR, `${p.cmd.toUpperCase()} is not a packet a client sends`);
    }
  }

  private connect(p: Extract<Packet, { cmd: 'connect' }>): void {
    const refuse = (code: number, why: string) => {
      this.send(encode({ cmd: 'connack', returnCode: code, sessionPresent: false }));
      this.drop(CLOSE.POLICY, why);
    };
    const level = p.protocolVersion;
    const okLevel = (level === MQTT_PROTOCOL_LEVEL && p.protocolId === 'MQTT') || (level === MQTT_PROTOCOL_LEVEL_31 && p.protocolId === 'MQIsdp');
    if (!okLevel) return refuse(CONNACK.UNACCEPTABLE_PROTOCOL, `protocol ${p.protocolId} level ${level} is not MQTT 3.1.1`);
    if (!p.clientId && !p.clean) return refuse(CONNACK.IDENTIFIER_REJECTED, 'an empty client id needs a clean session');
    const password = p.password ? Buffer.from(p.password).toString('utf8') : '';
    if (p.username === PUBLIC_USERNAME && password === PUBLIC_USER_CODE) {
      this.account = null;
    } else if (p.username === PRIVATE_USERNAME) {
      const account = verifyPrivateLogin(p.clientId, password, this.ctx.credentials, this.ctx.authMode);
      if (account && this.ctx.authMode === 'any') this.ctx.acceptedUnchecked?.(`private MQTT login of ${account.email}`);
      if (!account) return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'private login: the sign does not verify');
      this.account = account;
    } else {
      return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'unknown user name or wrong userCode');
    }
    this.state = 'connected';
    // MQTT-3.1.4-2: a client id already connected is taken over; the older connection is closed.
    // An empty id (clean session) is a fresh anonymous client each time (MQTT-3.1.3-6): nothing to take.
    if (p.clientId) this.link.claim(p.clientId);
    // MQTT 3.1.1 §3.1.2.10: one and a half keep-alive periods; keep-alive 0 turns the check off.
    const keepaliveLimit = (p.keepalive ?? 0) > 0 ? p.keepalive! * 1000 * KEEPALIVE_GRACE_FACTOR : 0;
    this.idleLimitMs = this.ctx.timing.idleTimeoutMs ?? keepaliveLimit;
    this.arm();
    // Clean or not, no state survives a connection here: sessionPresent is always 0.
    this.send(encode({ cmd: 'connack', returnCode: CONNACK.ACCEPTED, sessionPresent: false }));
  }

  private subscribe(messageId: number, subscriptions: Array<{ topic: string; qos: QoS }>): void {
    const granted: number[] = [];
    for (const { topic, qos } of subscriptions) {
      const spec = topicToSpec(topic); // wildcards and unknown topics name no stream
      if (!spec || (spec.private && spec.params.email !== this.account?.email)) {
        granted.push(SUBACK_FAILURE);
        continue;
      }
      if (!this.subs.has(topic)) {
        const r = this.link.subscribe(spec);
        if (!r.ok) {
          granted.push(SUBACK_FAILURE);
          continue;
        }
      }
      this.subs.set(topic, qos); // a repeated SUBSCRIBE replaces the QoS (§3.8.4)
      granted.push(qos);
    }
    this.send(encode({ cmd: 'suback', messageId, granted }));
  }

  onClose(): void {
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    if (this.lifeTimer) clearTimeout(this.lifeTimer);
    this.timer = null;
    this.lifeTimer = null;
  }

  // ----------------------------------------------------------------------------- keep-alive

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state === 'closed' || this.idleLimitMs <= 0) return;
    const wait = Math.max(1, this.lastPacketMs + this.idleLimitMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state === 'closed') return;
      if (Date.now() - this.lastPacketMs >= this.idleLimitMs) {
        this.drop(CLOSE.POLICY, this.state === 'connected' ? 'keep-alive expired: no packet for 1.5 × keep-alive' : 'no CONNECT in time');
      } else this.arm();
    }, wait);
  }

  // ----------------------------------------------------------------------------- outgoing

  private send(bytes: Uint8Array): void {
    if (this.state !== 'closed') this.link.send(bytes, true);
  }

  private drop(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.onClose();
    this.link.close(code, reason);
  }

  private publish(topic: string, payload: Uint8Array): void {
    const qos = this.subs.get(topic);
    if (qos === undefined || this.state !== 'connected') return;
    let id: number | undefined;
    if (qos > 0) {
      if (this.outgoing.size >= MAX_INFLIGHT_MESSAGES) {
        return this.drop(CLOSE.POLICY, `client left ${MAX_INFLIGHT_MESSAGES} QoS ${qos} messages unacknowledged`);
      }
      id = this.ids.allocate((n) => this.outgoing.has(n));
      this.outgoing.set(id, { topic, stage: qos === 1 ? 'puback' : 'pubrec' });
    }
    this.send(publishPacket(topic, payload, qos, id));
  }

  deliver(stream: StreamSpec, item: FeedItem): void {
    if (!this.subs.has(stream.key) || this.state !== 'connected') return;
    if (item.type === 'recorded') {
      // Replay: the recorded PUBLISH's topic and payload go out byte for byte; only the packet id
      // and QoS are this session's.
      for (const p of readFrame(item.payload).packets) {
        if (p.cmd === 'publish' && p.topic === stream.key) this.publish(p.topic, p.payload as Buffer);
      }
      return;
    }
    const text = this.format(stream, item.event);
    if (text !== null) this.publish(stream.key, Buffer.from(text, 'utf8'));
  }

  private format(stream: StreamSpec, ev: Extract<FeedItem, { type: 'event' }>['event']): string | null {
    switch (stream.kind) {
      case 'depth_chart':
        return ev.type === 'book' ? depthChartPayload(ev) : null;
      case 'book':
        return ev.type === 'book' ? orderBookPayload(ev, String(stream.params.step)) : null;
      case 'kline':
        return ev.type === 'kline' ? klinePayload(ev) : null;
      case 'trade_window': {
        if (ev.type === 'trade_window') return tickersPayload(ev.trades);
        if (ev.type !== 'trade') return null;
        // A feed of single trades: keep the window here, newest first.
        const w = [ev, ...(this.windows.get(stream.key) ?? [])].slice(0, TRADE_WINDOW_SIZE);
        this.windows.set(stream.key, w);
        return tickersPayload(w);
      }
      case 'account':
        return ev.type === 'balance' ? assetPayload([ev as BalanceEvent], String(stream.params.email), ev.tsMs) : null;
      case 'order': {
        if (ev.type !== 'order') return null;
        const state = orderState(ev);
        return state ? orderPayload(ev, state) : null;
      }
      case 'fill': {
        const fill: FillEvent | undefined = ev.type === 'fill' ? ev : ev.type === 'order' ? ev.fill : undefined;
        if (!fill || this.sentFills.has(fill.fillId)) return null;
        // A feed may send a fill both alone and inside its order event: publish it once.
        this.sentFills.add(fill.fillId);
        if (this.sentFills.size > REMEMBERED_FILLS) this.sentFills.delete(this.sentFills.values().next().value!);
        const orderType = ev.type === 'order' ? ev.orderType : (this.ctx.account?.orders().find((o) => o.orderId === fill.orderId)?.orderType ?? 'limit');
        return fillPayload(fill, orderType);
      }
      default:
        return null;
    }
  }
}
