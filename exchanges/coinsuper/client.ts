/**
 * Client side of Coinsuper (the recorder's view): MQTT 3.1.1 over WebSocket or plain TCP / TLS
 * (the recorder picks the transport from the URL's scheme; this file only sees packets). One
 * connection per public topic (the public clientId embeds md5(topic), so two topics cannot share
 * it, and no two of the recorder's connections ever hold one id) and one connection for every
 * private topic (clientId = access key, "one link for multiple topics").
 */
import { TicktapeError } from '../../core/errors.js';
import type { ClientSession, ClientSessionOptions, ClientSide, Credentials, FrameInfo, OutFrame, StreamKind, StreamSpec } from '../types.js';
import { privatePassword, publicClientId, redactedPrivatePassword, type CoinsuperCredentials } from './auth.js';
import { DEMO_CREDENTIALS } from './demo.js';
import { encode, PacketIds, PacketReader, type QoS } from './packets.js';
import { CONNACK_REASONS, ENDPOINT, KEEPALIVE_S, MQTT_PROTOCOL_LEVEL, MQTT_DEFAULT_WS_PATH, MQTT_SIM_PATH, MQTT_WS_URL, PRIVATE_USERNAME, PUBLIC_USERNAME, PUBLIC_USER_CODE, SUBACK_FAILURE } from './protocol.js';
import { CHANNEL_HELP, parseChannel, topicToSpec } from './topics.js';

/**
 * QoS the recorder subscribes with. 0: the broker sends each message once and expects no answer,
 * the least work on both ends; the session still answers QoS 1/2 deliveries correctly if a broker
 * upgrades them.
 */
const RECORDER_SUBSCRIBE_QOS: QoS = 0;

const CREDENTIAL_FIELDS = ['accessKey', 'secretKey', 'email'] as const;

function creds(c: Credentials | undefined): Partial<CoinsuperCredentials> {
  return { accessKey: c?.accessKey, secretKey: c?.secretKey, email: c?.email };
}

/** Where in each payload the exchange's own timestamp sits (k-line `timestamp` is the candle start, not a send time). */
const TS_PATTERN: Partial<Record<StreamKind, RegExp>> = {
  book: /"timestamp":\s*(\d{1,16})/,
  trade_window: /"timestamp":\s*(\d{1,16})/, // the first one is the newest trade's
  account: /"timestamp":\s*(\d{1,16})/,
  order: /"utcUpdate":\s*"?(\d{1,16})/,
  fill: /"utcDeal":\s*"?(\d{1,16})/,
};

const PINGREQ = encode({ cmd: 'pingreq' });

class CoinsuperClientSession implements ClientSession {
  readonly url: string;
  readonly safeUrl: string;
  readonly protocols = ['mqtt'];
  readonly heartbeat: ClientSession['heartbeat'];

  private reader = new PacketReader();
  private readonly ids = new PacketIds();
  private readonly inFlight = new Map<number, { type: 'subscribe' | 'unsubscribe'; topics: string[] }>();
  private readonly wanted = new Map<string, StreamSpec>();
  private readonly isPrivate: boolean;
  private readonly credentials: Partial<CoinsuperCredentials>;
  private connected = false;

  constructor(private readonly opts: ClientSessionOptions) {
    this.url = opts.endpointUrl;
    this.safeUrl = opts.endpointUrl; // the URL carries no secret: credentials travel in CONNECT
    for (const s of opts.streams) this.wanted.set(s.key, s);
    this.isPrivate = opts.streams.some((s) => s.private);
    this.credentials = creds(opts.credentials);
    if (this.isPrivate) {
      const missing = CREDENTIAL_FIELDS.filter((f) => !this.credentials[f]);
      if (missing.length) {
        throw new TicktapeError('TT_CREDENTIALS_MISSING', `Coinsuper private channels need ${missing.join(', ')}: set TICKTAPE_COINSUPER_${missing.map((m) => m.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()).join(' / TICKTAPE_COINSUPER_')}.`, {
          exchange: 'coinsuper',
          missing,
        });
      }
    }
    this.heartbeat = { intervalMs: KEEPALIVE_S * 1000, frame: () => ({ data: PINGREQ, binary: true }) };
  }

  onOpen(): OutFrame[] {
    // A fresh connection: no half-read packet and no request of the previous one is pending.
    this.connected = false;
    this.reader = new PacketReader();
    this.inFlight.clear();
    const topics = [...this.wanted.keys()];
    if (this.isPrivate) {
      const c = this.credentials as CoinsuperCredentials;
      const ts = this.opts.nowMs();
      // clean: nothing is recorded from a broker-kept session; each connection subscribes anew.
      const base = { cmd: 'connect' as const, protocolId: 'MQTT' as const, protocolVersion: MQTT_PROTOCOL_LEVEL as 4, clean: true, keepalive: KEEPALIVE_S, clientId: c.accessKey, username: PRIVATE_USERNAME };
      const data = encode({ ...base, password: Buffer.from(privatePassword(c, ts), 'utf8') });
      const stored = encode({ ...base, password: Buffer.from(redactedPrivatePassword(c.email, ts), 'utf8') });
      return [{ data, binary: true, stored }];
    }
    // Public quotes need no secret; without credentials the documented demo identity names the client.
    const accessKey = this.credentials.accessKey ?? DEMO_CREDENTIALS.accessKey;
    const email = this.credentials.email ?? DEMO_CREDENTIALS.email;
    const clientId = publicClientId(accessKey, email, topics[0] ?? '');
    const data = encode({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: MQTT_PROTOCOL_LEVEL as 4,
      clean: true,
      keepalive: KEEPALIVE_S,
      clientId,
      username: PUBLIC_USERNAME,
      password: Buffer.from(PUBLIC_USER_CODE, 'utf8'),
    });
    return [{ data, binary: true }];
  }

  onFrame(data: Uint8Array, binary: boolean): FrameInfo {
    if (!binary) return { stream: '', malformed: true, control: false };
    const { packets, error } = this.reader.push(data);
    if (error) return { stream: '', malformed: true, control: false };
    const info: FrameInfo = { stream: '', malformed: false, control: true };
    const replies: OutFrame[] = [];
    const acks: NonNullable<FrameInfo['acks']> = [];
    for (const p of packets) {
      switch (p.cmd) {
        case 'connack': {
          const code = p.returnCode ?? p.reasonCode ?? 0;
          info.auth = code === 0 ? { ok: true } : { ok: false, reason: `CONNACK ${code}: ${CONNACK_REASONS[code] ?? 'refused'}` };
          if (code === 0) {
            this.connected = true;
            const sub = this.subscribePacket([...this.wanted.keys()]);
            if (sub) replies.push(sub);
          }
          break;
        }
        case 'suback': {
          const req = this.inFlight.get(p.messageId ?? -1);
          if (!req || req.type !== 'subscribe') break;
          this.inFlight.delete(p.messageId!);
          req.topics.forEach((topic, i) => {
            const g = (p.granted as number[])[i];
            acks.push(g === undefined || g === SUBACK_FAILURE ? { stream: topic, ok: false, reason: `SUBACK 0x${(g ?? SUBACK_FAILURE).toString(16)}: subscription refused by the broker` } : { stream: topic, ok: true });
          });
          break;
        }
        case 'unsuback':
          this.inFlight.delete(p.messageId ?? -1);
          break;
        case 'publish': {
          if (info.control) {
            info.control = false;
            info.stream = p.topic;
            const kind = this.wanted.get(p.topic)?.kind ?? topicToSpec(p.topic)?.kind;
            const re = kind ? TS_PATTERN[kind] : undefined;
            const m = re ? re.exec(Buffer.isBuffer(p.payload) ? p.payload.toString('utf8') : String(p.payload)) : null;
            info.exchangeTsMs = m ? Number(m[1]) : null;
          }
          if (p.qos === 1) replies.push({ data: encode({ cmd: 'puback', messageId: p.messageId }), binary: true });
          if (p.qos === 2) replies.push({ data: encode({ cmd: 'pubrec', messageId: p.messageId }), binary: true });
          break;
        }
        case 'pubrel':
          replies.push({ data: encode({ cmd: 'pubcomp', messageId: p.messageId }), binary: true });
          break;
        case 'pingresp':
          break;
        default:
          // CONNECT, SUBSCRIBE, PINGREQ…: packets only a client sends. The peer is not a broker.
          return { stream: '', malformed: true, control: false };
      }
    }
    if (replies.length) info.replies = replies;
    if (acks.length) info.acks = acks;
    return info;
  }

  subscribe(streams: StreamSpec[]): OutFrame[] {
    const fresh = streams.filter((s) => !this.wanted.has(s.key));
    for (const s of fresh) this.wanted.set(s.key, s);
    if (!this.connected) return []; // sent with the others once CONNACK arrives
    const sub = this.subscribePacket(fresh.map((s) => s.key));
    return sub ? [sub] : [];
  }

  unsubscribe(streams: StreamSpec[]): OutFrame[] {
    const topics = streams.map((s) => s.key).filter((k) => this.wanted.delete(k));
    if (!this.connected || topics.length === 0) return [];
    const messageId = this.ids.allocate((id) => this.inFlight.has(id));
    this.inFlight.set(messageId, { type: 'unsubscribe', topics });
    return [{ data: encode({ cmd: 'unsubscribe', messageId, unsubscriptions: topics }), binary: true, ...(topics.length === 1 ? { stream: topics[0] } : {}) }];
  }

  private subscribePacket(topics: string[]): OutFrame | null {
    if (topics.length === 0) return null;
    const messageId = this.ids.allocate((id) => this.inFlight.has(id));
    this.inFlight.set(messageId, { type: 'subscribe', topics });
    return {
      data: encode({ cmd: 'subscribe', messageId, subscriptions: topics.map((topic) => ({ topic, qos: RECORDER_SUBSCRIBE_QOS })) }),
      binary: true,
      ...(topics.length === 1 ? { stream: topics[0] } : {}),
    };
  }
}

export const coinsuperClient: ClientSide = {
  endpoints: {
    [ENDPOINT]: {
      url: MQTT_WS_URL,
      simPath: MQTT_SIM_PATH,
      aliases: [MQTT_DEFAULT_WS_PATH],
      doc: 'MQTT 3.1.1 over WebSocket (sub-protocol mqtt, binary frames) or plain TCP: every public and private topic',
    },
  },
  parseChannel,
  channelHelp: CHANNEL_HELP,
  credentialFields: [...CREDENTIAL_FIELDS],
  planConnections(streams) {
    const groups: StreamSpec[][] = [];
    const seen = new Set<string>();
    const priv: StreamSpec[] = [];
    for (const s of streams) {
      if (seen.has(s.key)) continue;
      seen.add(s.key);
      if (s.private) priv.push(s);
      else groups.push([s]); // the public clientId embeds md5(topic): one connection per topic
    }
    if (priv.length) groups.push(priv); // clientId = access key: one link for every private topic
    return groups;
  },
  createSession: (opts) => new CoinsuperClientSession(opts),
  maxConnectionLifeMs: null, // none documented
  // A public client id is md5(accessKey)+md5(email)+md5(topic), the private one the access key: a
  // group's connections all share theirs, and a second CONNECT with it takes the first one over.
  exclusiveIdentity: true,
};
