/**
 * Coinsuper's own Python demo (`coinsuper_demo_py36.py`, as the exchange published it) with
 * Debian's Paho MQTT, against `ticktape simulate` and against `ticktape replay` of a recording of
 * it: once with its default transport (MQTT over plain TCP) and once over WebSocket, which the demo
 * uses only together with TLS (`isSSL`, `ssl.create_default_context()`): the servers run with
 * `--tls-cert`/`--tls-key` and Python trusts the test's self-signed certificate through
 * SSL_CERT_FILE; Paho connects to its default path `/mqtt`. The test changes nothing in the file but
 * the values of its `params` (host, port, TLS switch, environment and credentials). Each run must
 * connect, authenticate, subscribe and print the order book it parses for at least 20 s.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { coinsuper } from '../../../exchanges/coinsuper/index.js';
import { PUBLIC_USER_CODE, PUBLIC_USERNAME, TOPIC_ENV } from '../../../exchanges/coinsuper/protocol.js';
import { CLI, RecorderProcess, tmpDir } from '../../recorder/harness.js';
import { skipWithout, SYSTEM_PYTHON } from '../../helpers/system-tools.js';
import { selfSignedCert } from '../../helpers/tls-cert.js';

/** The demo as published (coinsuperapi/websocket_API_demos @ a2d8ebf, websocket-demo-python36-v2/api_websocket_demo.py), byte for byte. */
const DEMO_FILE = fileURLToPath(new URL('../../../exchanges/coinsuper/fixtures/coinsuper_demo_py36.py', import.meta.url));
/** The topic the demo subscribes (its `topic`, after the environment prefix). */
const TOPIC = `${TOPIC_ENV}/api/ws/v1/market/orderBook/BTC_USD/0.01`;
/** How long each demo must receive data; it runs that long after its first order book, plus a margin of more than one push. */
const PARSED_FOR_MS = 20_000;
const MARGIN_MS = 3_000;
/** A demo that got no data by then is stopped (the checks then fail with its output). */
const GIVE_UP_MS = 60_000;

const skip = skipWithout('paho', "Coinsuper's Python demo") || skipWithout('openssl', "Coinsuper's Python demo over WebSocket/TLS") || !fs.existsSync(CLI);
const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs `ticktape <args>` and resolves with its endpoint URLs once it printed them. */
async function server(args: string[]): Promise<{ urls: string[]; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, TICKTAPE_LOG_LEVEL: 'warn' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!/(tcp|wss):\/\//.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`ticktape ${args[0]} did not start: ${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 100)); // the whole table
  const urls = [...out.matchAll(/\b((?:tcp|wss?|mqtts?):\/\/\S+)/g)].map((m) => m[1]);
  return {
    urls,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The published demo with only the values of its `params` set. */
function demoCopy(dir: string, values: { isSSL: boolean; serverHost: string; serverPort: number }): string {
  const original = fs.readFileSync(DEMO_FILE, 'utf8');
  const demo = coinsuper.demoCredentials;
  const set: Record<string, string> = {
    isSSL: values.isSSL ? 'True' : 'False',
    serverHost: JSON.stringify(values.serverHost),
    serverPort: String(values.serverPort),
    env: JSON.stringify(TOPIC_ENV),
    userName: JSON.stringify(PUBLIC_USERNAME),
    userCode: JSON.stringify(PUBLIC_USER_CODE),
    apiAccessKey: JSON.stringify(demo.accessKey),
    email: JSON.stringify(demo.email),
  };
  let changed = 0;
  const text = original.replace(/^(\s*"(\w+)":\s*)([^,\n]*)(,?)$/gm, (line, head: string, key: string, _v: string, comma: string) => {
    if (!(key in set)) return line;
    changed++;
    return `${head}${set[key]}${comma}`;
  });
  expect(changed).toBe(Object.keys(set).length);
  // nothing else differs: the same lines, in the same order, apart from those eight
  const a = original.split('\n');
  const b = text.split('\n');
  expect(b.length).toBe(a.length);
  expect(a.filter((l, i) => l !== b[i]).every((l) => /^\s*"(isSSL|serverHost|serverPort|env|userName|userCode|apiAccessKey|email)":/.test(l))).toBe(true);
  const file = path.join(dir, `coinsuper_demo_py36-${values.isSSL ? 'ws' : 'tcp'}-${values.serverPort}.py`);
  fs.writeFileSync(file, text);
  return file;
}

interface DemoRun {
  /** Order books the demo printed, with when each line arrived. */
  books: Array<{ atMs: number; book: { symbol: string; asks: unknown[]; bids: unknown[]; limitSize: number } }>;
  output: string;
}

/** Runs the demo until PARSED_FOR_MS after its first order book and collects what it printed (`<topic> b'<payload>'` per message). */
function runDemo(file: string, env: NodeJS.ProcessEnv = {}): Promise<DemoRun> {
  // the demo polls its socket in a loop: run it at low priority on a shared machine
  const child = spawn('nice', ['-n', '10', SYSTEM_PYTHON, file], { env: { ...process.env, PYTHONUNBUFFERED: '1', ...env } });
  children.push(child);
  const run: DemoRun = { books: [], output: '' };
  let partial = '';
  let stopAt: NodeJS.Timeout | null = null;
  const onLine = (line: string) => {
    const m = /^(\S+) b'(.*)'$/.exec(line);
    if (!m || m[1] !== TOPIC) return;
    run.books.push({ atMs: Date.now(), book: JSON.parse(m[2]) });
    stopAt ??= setTimeout(() => child.kill('SIGKILL'), PARSED_FOR_MS + MARGIN_MS);
  };
  child.stdout.on('data', (d: Buffer) => {
    run.output += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    lines.forEach(onLine);
  });
  child.stderr.on('data', (d: Buffer) => (run.output += d.toString()));
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
    child.once('exit', () => {
      clearTimeout(t);
      if (stopAt) clearTimeout(stopAt);
      resolve(run);
    });
  });
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

function expectParsedFor20s(run: DemoRun, what: string): void {
  expect(run.books.length, `${what}: order books printed\n${run.output.slice(-2000)}`).toBeGreaterThanOrEqual(12);
  for (const { book } of run.books) {
    expect(book.symbol).toBe('BTC/USD');
    expect(book.limitSize).toBe(15);
    expect(book.asks.length).toBeGreaterThan(0);
    expect(book.bids.length).toBeGreaterThan(0);
  }
  const span = run.books[run.books.length - 1].atMs - run.books[0].atMs;
  expect(span, `${what}: first to last order book, ms`).toBeGreaterThanOrEqual(PARSED_FOR_MS);
}

describe.skipIf(skip)("Coinsuper's Python demo, unchanged but for its params", () => {
  it('runs over TCP and over WebSocket/TLS against the simulator and against a replay of a recording', { timeout: 180_000 }, async () => {
    const dir = tmpDir('tt-cs-demo-');
    dirs.push(dir);
    const cert = selfSignedCert(dir);
    const tlsFlags = ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile];
    const pyTls = { SSL_CERT_FILE: cert.certFile };

    // the simulator: plain (HTTP + MQTT over TCP on a free port) and with TLS (wss on /mqtt)
    const plainSim = await server(['simulate', '--port', '0', '--symbols', 'BTC-USD']);
    const tlsSim = await server(['simulate', '--port', '0', '--mqtt-port', 'off', '--symbols', 'BTC-USD', ...tlsFlags]);
    const simTcp = plainSim.urls.find((u) => u.startsWith('tcp://'))!;
    const simWss = tlsSim.urls.find((u) => u.startsWith('wss://') && u.endsWith('/mqtt') && !u.includes('/coinsuper/'))!;
    expect(simTcp).toBeDefined();
    expect(simWss).toBeDefined();

    // record the plain simulator over TCP while the demo runs against both simulators
    const data = path.join(dir, 'data');
    const rec = new RecorderProcess(['--exchange', 'coinsuper', '--channels', 'BTC_USD@orderBook@0.01', '--url', simTcp, '--data', data, '--http', 'off', '--stagger-ms', '0']);
    await rec.waitLog((l) => l.msg === 'recording', 30_000);
    const [simTcpRun, simWsRun] = await Promise.all([runDemo(demoCopy(dir, { isSSL: false, ...hostToParams(simTcp) })), runDemo(demoCopy(dir, { isSSL: true, ...hostToParams(simWss) }), pyTls)]);
    expect((await rec.stop('SIGTERM')).code).toBe(0);
    await plainSim.stop();
    await tlsSim.stop();
    expectParsedFor20s(simTcpRun, 'simulator over TCP');
    expectParsedFor20s(simWsRun, 'simulator over WebSocket/TLS');

    // the replay of that recording, again plain (TCP) and with TLS (wss on /mqtt)
    const plainReplay = await server(['replay', '--data', data, '--port', '0', '--loop']);
    const tlsReplay = await server(['replay', '--data', data, '--port', '0', '--mqtt-port', 'off', '--loop', ...tlsFlags]);
    const replayTcp = plainReplay.urls.find((u) => u.startsWith('tcp://'))!;
    const replayWss = tlsReplay.urls.find((u) => u.startsWith('wss://') && u.endsWith('/mqtt') && !u.includes('/coinsuper/'))!;
    const [replayTcpRun, replayWsRun] = await Promise.all([runDemo(demoCopy(dir, { isSSL: false, ...hostToParams(replayTcp) })), runDemo(demoCopy(dir, { isSSL: true, ...hostToParams(replayWss) }), pyTls)]);
    await plainReplay.stop();
    await tlsReplay.stop();
    expectParsedFor20s(replayTcpRun, 'replay over TCP');
    expectParsedFor20s(replayWsRun, 'replay over WebSocket/TLS');
  });
});

function hostToParams(url: string): { serverHost: string; serverPort: number } {
  const { host, port } = hostPort(url);
  return { serverHost: host, serverPort: port };
}
