/**
 * The exchange's own Java demo, `nexus_WsDemo.java` as published (only its host line changed: the
 * scheme `wss://` → `ws://`, the servers under test speak plain WebSocket), compiled with Debian's
 * JDK and run with Tomcat's javax.websocket client against the simulator and against a replay of
 * a recording. The classes the demo names but the exchange did not publish are in
 * test/fixtures/nexus-java: `Consts.HOST` is the server under test, `getToken` returns the token,
 * and `WsDemoEndpoint` binds every message strictly (Jackson, FAIL_ON_UNKNOWN_PROPERTIES) to the
 * documented shapes. The demo must connect, authenticate, subscribe and parse data for at least
 * 20 s without a single message it cannot bind; a wrong token must be reported as the 401 it is.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TOKEN } from '../../../exchanges/nexus/index.js';
import { startReplay, type ReplayServer } from '../../../replay/server.js';
import { startSimulator, type Simulator } from '../../../simulator/server.js';
import { skipWithout } from '../../helpers/system-tools.js';
import { ROOT, tmpDir } from '../../recorder/harness.js';
import { recordSimulated } from '../../replay/fixture.js';

/** The exchange's demo as published (nexusbroc/nexus demo/java/…/ws/WsDemo.java), kept byte for byte. */
const DEMO_SOURCE = path.join(ROOT, 'exchanges/nexus/fixtures/WsDemo.java');
const SUPPORT = path.join(ROOT, 'test/fixtures/nexus-java');
/** The javax.websocket client (Tomcat) with what it needs, and Jackson. */
const CLASSPATH_JARS = ['tomcat9-websocket-api.jar', 'tomcat9-websocket.jar', 'tomcat9-juli.jar', 'tomcat9-util.jar', 'tomcat9-api.jar', 'jackson-databind.jar', 'jackson-core.jar', 'jackson-annotations.jar'].map((j) => `/usr/share/java/${j}`);
/** How long the demo runs once connected: past the 20 s it must keep parsing data for. */
const RUN_MS = 23_000;
/** How long a JVM may take to start and connect. */
const START_LIMIT_MS = 40_000;
const MIN_PARSING_MS = 20_000;

/** The published demo with its host line changed: `"wss://" + Consts.HOST` → `"ws://" + Consts.HOST`. */
export function demoWithHostLine(source: string): string {
  const hostLine = 'private static String uri = "wss://" + Consts.HOST + "/api/realtime?X-API-TOKEN=";';
  if (!source.includes(hostLine)) throw new Error('nexus_WsDemo.java no longer has its host line');
  return source.replace(hostLine, hostLine.replace('"wss://"', '"ws://"'));
}

interface Run {
  lines: string[];
  stderr: string;
  code: number | null;
}

/**
 * Runs the demo against `hostPort` (host:port/prefix) with `token` until it has been connected for
 * `ms` (a JVM can take seconds to start on a busy machine), or at most `ms` + START_LIMIT_MS.
 */
function runDemo(classes: string, hostPort: string, token: string, ms: number): Promise<Run> {
  const cp = [classes, ...CLASSPATH_JARS].join(path.delimiter);
  const child: ChildProcess = spawn('java', ['-cp', cp, `-Dnexus.host=${hostPort}`, `-Dnexus.token=${token}`, 'com.nexus.apidemo.ws.WsDemo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let connected: NodeJS.Timeout | null = null;
  const stop = () => child.kill('SIGTERM');
  const limit = setTimeout(stop, ms + START_LIMIT_MS);
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    if (!connected && /^OPEN /m.test(out)) connected = setTimeout(stop, ms);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(limit);
      if (connected) clearTimeout(connected);
      resolve({ lines: out.split('\n').filter(Boolean), stderr: err, code });
    });
  });
}

const at = (line: string) => Number(line.split(' ')[1]);

/** What every run against a server must show: connected, bound every message, parsed depth for 20 s. */
function expectParsedFor20s(run: Run, what: string): void {
  const open = run.lines.find((l) => l.startsWith('OPEN '));
  expect(open, `${what}: ${run.stderr.slice(0, 800)}`).toBeDefined();
  expect(
    run.lines.filter((l) => l.startsWith('PARSE-FAILED') || l.startsWith('ERROR') || l.startsWith('CLOSED')),
    what,
  ).toEqual([]);
  const depth = run.lines.filter((l) => l.startsWith('PARSED ') && l.includes(' API_MARKETDEPTH BTCUSDT asks=5 bids=5'));
  expect(depth.length, what).toBeGreaterThan(20);
  expect(at(depth.at(-1)!) - at(open!), what).toBeGreaterThanOrEqual(MIN_PARSING_MS);
}

const skip = skipWithout('java-websocket', "Nexus' own Java demo (WsDemo.java)");

describe.skipIf(skip)("nexus: the exchange's own WsDemo.java with javax.websocket and strict Jackson", () => {
  let classes: string;
  let sim: Simulator;
  let replay: ReplayServer;
  let published: string;
  let used: string;
  beforeAll(async () => {
    const dir = tmpDir('tt-nexus-java-');
    const src = path.join(dir, 'src');
    fs.cpSync(SUPPORT, src, { recursive: true });
    published = fs.readFileSync(DEMO_SOURCE, 'utf8');
    used = demoWithHostLine(published);
    fs.writeFileSync(path.join(src, 'com/nexus/apidemo/ws/WsDemo.java'), used);
    classes = path.join(dir, 'classes');
    const sources = ['common/Consts.java', 'rest/RestServiceImpl.java', 'ws/WsDemoEndpoint.java', 'ws/WsDemo.java'].map((f) => path.join(src, 'com/nexus/apidemo', f));
    const javac = spawnSync('javac', ['-d', classes, '-cp', CLASSPATH_JARS.join(path.delimiter), ...sources], { encoding: 'utf8' });
    if (javac.status !== 0) throw new Error(`javac failed: ${javac.stderr}`);
    sim = await startSimulator({ port: 0, seed: 11, rate: 50 });
    // A recording of the public depth only: the demo's API_ORDER and API_RISK_POSITION subscriptions
    // are refused by the replay, so its error replies go through the strict binding too. The
    // recording is a few seconds long: the replay loops it for the whole run.
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    await recordSimulated(data, 4000, ['--exchange', 'nexus', '--channels', 'BTCUSDT@depth@5']);
    replay = await startReplay({ dataDir: data, port: 0, speed: 1, loop: true, graceMs: 50 });
  }, 120_000);
  afterAll(async () => {
    await sim?.close();
    await replay?.close();
  });

  it('the demo is the published file with only its host line changed', () => {
    const a = published.split('\n');
    const b = used.split('\n');
    expect(b).toHaveLength(a.length);
    expect(a.filter((l, i) => l !== b[i])).toEqual(['\tprivate static String uri = "wss://" + Consts.HOST + "/api/realtime?X-API-TOKEN=";']);
  });

  it(
    'connects, authenticates, subscribes and binds every message strictly for 20 s, on the simulator and on the replay; a wrong token is reported as a 401',
    async () => {
      const hostOf = (port: number) => `127.0.0.1:${port}/nexus`;
      const [onSim, onReplay, refused] = await Promise.all([runDemo(classes, hostOf(sim.port), DEMO_TOKEN, RUN_MS), runDemo(classes, hostOf(replay.port), DEMO_TOKEN, RUN_MS), runDemo(classes, hostOf(sim.port), 'not-a-token', RUN_MS)]);
      expectParsedFor20s(onSim, 'simulator');
      // the simulator's demo account trades: orders and positions come through the same strict binding
      expect(onSim.lines.some((l) => /^PARSED \d+ API_ORDER orders=1/.test(l))).toBe(true);
      expect(onSim.lines.some((l) => /^PARSED \d+ API_RISK_POSITION positions=\d+ book=A/.test(l))).toBe(true);

      expectParsedFor20s(onReplay, 'replay');
      // the two account subscriptions the recording cannot serve: refused in the documented error envelope, bound strictly
      expect([...replay.catalog.nexus.streams.keys()]).toEqual(['API_MARKETDEPTH:BTCUSDT:5']);
      expect(onReplay.lines.filter((l) => / ERROR /.test(l)).map((l) => l.replace(/^PARSED \d+ /, ''))).toEqual(['ERROR INVALID_DATA {event=INVALID, id=1630055515109}', 'ERROR INVALID_DATA {event=INVALID, id=1630055515109}']);

      // Tomcat reads the WWW-Authenticate challenge and reports the 401 (without one it reports a missing header)
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('HTTP response code [401]');
      expect(refused.stderr).not.toMatch(/Missing \[?WWW-Authenticate/i);
      expect(refused.lines.filter((l) => l.startsWith('OPEN'))).toEqual([]);
    },
    RUN_MS + START_LIMIT_MS + 10_000,
  );
});
