/**
 * Credentials: given through the environment to a recorder that records private channels of all
 * four exchanges (from `ticktape simulate`, which accepts the same credentials from the same
 * environment), the secret values never appear in the recorder's stderr, in /health or /metrics,
 * in any file under the data folder (the bytes of every file), nor in any table once decompressed
 * (every column of every row, read back through DuckDB). A config file that holds credentials and
 * is readable by group or others is warned about.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCHANGES } from '../../exchanges/registry.js';
import { EXCHANGE_IDS } from '../../exchanges/types.js';
import { TABLE_NAMES } from '../../schemas/tables.js';
import { Market } from '../../simulator/market.js';
import { openTape } from '../../store/duck/index.js';
import { CliProcess, tmpDir, until, removeTmpDirs } from './helpers.js';

afterAll(removeTmpDirs);

/** Fake credentials; the values that grant access (all but user ids, e-mails and Coinceres' api_key) must never be stored. */
const EMAIL = 'hardening@example.invalid';
const ENV = {
  TICKTAPE_COINSTORE_API_KEY: 'csKEYq8Zr1Tn4Wx7Vb2',
  TICKTAPE_COINSTORE_USER_ID: '7781',
  TICKTAPE_COINSUPER_ACCESS_KEY: 'suAKm3Jd9Ls5Qp1Hh6',
  TICKTAPE_COINSUPER_SECRET_KEY: 'suSKv7Yc2Ne8Rk4Gg0',
  TICKTAPE_COINSUPER_EMAIL: EMAIL,
  TICKTAPE_NEXUS_TOKEN: 'nxTOKa1Ff6Ub3Zs9Mm5',
  TICKTAPE_COINCERES_API_KEY: 'ccAKpublicKe7Yl2',
  TICKTAPE_COINCERES_SECRET: 'ccSKt5Dw8Bq0Xj3Ee1',
};
const SECRETS = {
  'coinstore apiKey': ENV.TICKTAPE_COINSTORE_API_KEY,
  'coinsuper secretKey': ENV.TICKTAPE_COINSUPER_SECRET_KEY,
  'nexus token': ENV.TICKTAPE_NEXUS_TOKEN,
  'coinceres secret': ENV.TICKTAPE_COINCERES_SECRET,
};

function channels(id: (typeof EXCHANGE_IDS)[number]): string[] {
  const instruments = new Market({ seed: 1 }).instruments;
  const mod = EXCHANGES[id];
  const priv = mod.privateChannels(instruments).map((c) => c.replace('demouser@demo.domain', EMAIL));
  return [...mod.defaultChannels(instruments).slice(0, 2), ...priv];
}

let base: string;
let data: string;
let sim: CliProcess;
let simPort: number;
const seen = { stderr: '', health: '', metrics: '', exit: null as number | null, privateFrames: {} as Record<string, number> };

beforeAll(async () => {
  base = tmpDir('tt-cred-');
  data = path.join(base, 'data');
  sim = new CliProcess(['simulate', '--port', '0', '--rate', '50'], ENV);
  simPort = Number((await sim.waitFor(/on port (\d+)/))[1]);
  const config = {
    instance: 'creds',
    data,
    http: '127.0.0.1:0',
    staggerMs: 0,
    exchanges: EXCHANGE_IDS.map((id) => ({ name: id, channels: channels(id), baseUrl: `ws://127.0.0.1:${simPort}` })),
  };
  const file = path.join(base, 'ticktape.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 1), { mode: 0o600 });
  const rec = new CliProcess(['record', '--config', file], { ...ENV, TICKTAPE_LOG_LEVEL: 'debug' });
  try {
    const port = Number((await rec.waitFor(/"port":(\d+),"msg":"http listening/, 'stderr'))[1]);
    // wait until every exchange's private streams carry data: the credentials were used and accepted
    await until(
      async () => {
        const h = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { streams: Array<{ exchange: string; stream: string; frames: number; refused: boolean }> };
        const privateKeys = new Map<string, string>();
        for (const id of EXCHANGE_IDS)
          for (const c of channels(id)) {
            const spec = EXCHANGES[id].client.parseChannel(c);
            if (spec.private) privateKeys.set(`${id}|${spec.key}`, id);
          }
        const frames: Record<string, number> = {};
        for (const s of h.streams) if (privateKeys.has(`${s.exchange}|${s.stream}`)) frames[s.exchange] = (frames[s.exchange] ?? 0) + s.frames;
        seen.privateFrames = frames;
        return EXCHANGE_IDS.every((id) => (frames[id] ?? 0) > 0);
      },
      'data on the private streams of every exchange',
      45_000,
      250,
    );
    seen.health = await (await fetch(`http://127.0.0.1:${port}/health`)).text();
    seen.metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } finally {
    seen.exit = (await rec.stop('SIGTERM')).code;
    seen.stderr = rec.stderr;
  }
}, 120_000);

afterAll(async () => {
  await sim?.stop();
});

describe('credentials from the environment', () => {
  it('were used: every exchange delivered private data, and the recorder stopped cleanly', () => {
    for (const id of EXCHANGE_IDS) expect(seen.privateFrames[id], id).toBeGreaterThan(0);
    expect(seen.exit).toBe(0);
    expect(seen.health).toContain('"streams"');
    expect(seen.metrics).toMatch(/^# HELP /m);
  });

  it.each(Object.entries(SECRETS))('%s is not in stderr (debug level), /health or /metrics', (_name, secret) => {
    expect(seen.stderr.length).toBeGreaterThan(0);
    expect(seen.stderr).not.toContain(secret);
    expect(seen.health).not.toContain(secret);
    expect(seen.metrics).not.toContain(secret);
  });

  it('no file under the data folder holds a secret in its bytes', () => {
    const files = (fs.readdirSync(data, { recursive: true }) as string[]).map((f) => path.join(data, f)).filter((f) => fs.statSync(f).isFile());
    expect(files.some((f) => f.endsWith('.parquet'))).toBe(true);
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      for (const [name, secret] of Object.entries(SECRETS)) expect(bytes.includes(Buffer.from(secret)), `${name} in ${f}`).toBe(false);
    }
  });

  it('no row of any table holds a secret once decompressed; outgoing logins are stored redacted', async () => {
    const tape = await openTape(data);
    try {
      const raw = (await tape.conn.runAndReadAll('SELECT exchange, direction, flags, stream, endpoint, conn_id, payload FROM raw')).getRowObjects() as Array<Record<string, unknown>>;
      expect(raw.length).toBeGreaterThan(100);
      const texts: string[] = [];
      for (const r of raw) {
        const p = r.payload as { bytes?: Uint8Array } | Uint8Array;
        const b = (p as { bytes?: Uint8Array }).bytes ?? (p as Uint8Array);
        texts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'), String(r.endpoint), String(r.stream), String(r.conn_id));
      }
      for (const table of TABLE_NAMES.filter((t) => t !== 'raw')) {
        const rows = (await tape.conn.runAndReadAll(`SELECT * FROM ${table}`)).getRowObjectsJson();
        texts.push(JSON.stringify(rows));
      }
      const all = texts.join('\n');
      for (const [name, secret] of Object.entries(SECRETS)) expect(all.includes(secret), name).toBe(false);
      // the logins were sent and stored, with the secret replaced
      const redacted = raw.filter((r) => r.direction === 'out' && (Number(r.flags) & 2) === 2).map((r) => r.exchange);
      expect(new Set(redacted)).toEqual(new Set(['coinstore', 'coinsuper']));
      expect(raw.some((r) => r.exchange === 'nexus' && String(r.endpoint).includes('REDACTED'))).toBe(true);
      expect(raw.some((r) => r.exchange === 'coinceres' && String(r.endpoint).includes('api_key=') && !String(r.endpoint).includes('sign='))).toBe(true);
    } finally {
      tape.close();
    }
  });
});

describe('config file permissions', () => {
  /** Starts a recorder on a config file with credentials and the given mode; returns its warnings once it records. */
  async function warningsFor(mode: number): Promise<string[]> {
    const dir = tmpDir('tt-cred-mode-');
    const file = path.join(dir, 'ticktape.yaml');
    const yaml = [
      'instance: perms',
      `data: ${path.join(dir, 'data')}`,
      'http: "off"',
      'exchanges:',
      '  - name: coinstore',
      `    baseUrl: ws://127.0.0.1:${simPort}`,
      '    channels: [btcusdt@trade, "!@account"]',
      '    credentials:',
      `      apiKey: ${ENV.TICKTAPE_COINSTORE_API_KEY}`,
      `      userId: "${ENV.TICKTAPE_COINSTORE_USER_ID}"`,
      '',
    ].join('\n');
    fs.writeFileSync(file, yaml);
    fs.chmodSync(file, mode);
    const rec = new CliProcess(['record', '--config', file], ENV);
    try {
      await rec.waitFor(/"msg":"recording"/, 'stderr');
    } finally {
      expect((await rec.stop()).code).toBe(0);
    }
    expect(rec.stderr).not.toContain(ENV.TICKTAPE_COINSTORE_API_KEY);
    return rec
      .logs()
      .filter((l) => Number(l.level) === 40)
      .map((l) => String(l.msg));
  }

  it('a config file with credentials readable by group or others is warned about, with the fix', async () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const warnings = await warningsFor(mode);
      expect(
        warnings.some((w) => w.includes('readable by group or others') && w.includes('chmod 600')),
        mode.toString(8),
      ).toBe(true);
    }
  });

  it('mode 600 gives no such warning', async () => {
    const warnings = await warningsFor(0o600);
    expect(warnings.filter((w) => w.includes('readable by group or others'))).toEqual([]);
  });
});
