/**
 * Control endpoints (the recorder's POST /rotate, the replay's /control/*) take orders only from
 * the operator: a request whose Host is not the server's own (DNS rebinding) or whose Origin is
 * another site (CSRF) is refused, and with a control token set, a request without it is too. A real
 * browser page from another origin cannot rotate the recorder's connections.
 */
import http from 'node:http';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startReplay, type ReplayServer } from '../../replay/server.js';
import { skipWithout } from '../helpers/system-tools.js';
import { launchChromium, type Browser } from '../exchanges/coinceres/chromium.js';
import { RecorderProcess, tmpDir } from '../recorder/harness.js';

interface Answer {
  status: number;
  body: string;
}

/** A request with exactly these headers (fetch would not let a test set Host). */
function request(port: number, method: string, p: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string> = { host: `127.0.0.1:${port}`, ...headers };
    // Host '' means none at all (HTTP/1.0 style)
    const noHost = all.host === '';
    if (noHost) delete all.host;
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: all, setHost: !noHost }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const dirs: string[] = [];
const procs: RecorderProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

function recorder(env: NodeJS.ProcessEnv = {}, extra: string[] = []): RecorderProcess {
  const dir = tmpDir('tt-control-');
  dirs.push(dir);
  const rec = new RecorderProcess(['--exchange', 'coinstore', '--channels', 'btcusdt@trade', '--url', 'ws://127.0.0.1:9/s/ws', '--data', path.join(dir, 'data'), '--http', '127.0.0.1:0', ...extra], env);
  procs.push(rec);
  return rec;
}

/** The cases a browser can produce, and what each must get. */
async function expectGuarded(port: number, method: string, p: string, ok: number, auth: Record<string, string> = {}): Promise<void> {
  const cases: Array<[string, Record<string, string>, number]> = [
    ['plain (curl)', {}, ok],
    ['Host localhost', { host: `localhost:${port}` }, ok],
    ['its own origin', { origin: `http://127.0.0.1:${port}` }, ok],
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }, ok],
    ['DNS rebinding: a foreign name in Host', { host: `attacker.example:${port}` }, 403],
    ['DNS rebinding with the foreign origin', { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` }, 403],
    ['another port in Host', { host: `127.0.0.1:${port + 1}` }, 403],
    ['no Host (Node answers 400 itself)', { host: '' }, 400],
    ['CSRF: a foreign Origin', { origin: 'https://attacker.example' }, 403],
    ['CSRF: Origin null (sandboxed page)', { origin: 'null' }, 403],
    ['CSRF: another port on localhost', { origin: `http://127.0.0.1:${port + 1}` }, 403],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, 403],
  ];
  for (const [what, headers, status] of cases) {
    const a = await request(port, method, p, { ...auth, ...headers });
    expect(a.status, `${what}: ${a.body}`).toBe(status);
  }
}

describe('recorder POST /rotate', () => {
  it('refuses a foreign Host or Origin; GET /health stays open', async () => {
    const rec = recorder();
    const port = await rec.httpPort();
    await expectGuarded(port, 'POST', '/rotate', 200);
    // read-only: answered whatever the Host (503 here: the recorder's one exchange is unreachable)
    const health = await request(port, 'GET', '/health', { host: `attacker.example:${port}` });
    expect(JSON.parse(health.body).streams).toHaveLength(1);
    expect(rec.logs.some((l) => l.msg === 'control request refused' && l.origin === 'https://attacker.example')).toBe(true);
  });

  it('with a control token (TICKTAPE_CONTROL_TOKEN) requires Authorization: Bearer <token>', async () => {
    const token = 'a-long-random-control-token';
    const rec = recorder({ TICKTAPE_CONTROL_TOKEN: token });
    const port = await rec.httpPort();
    const missing = await request(port, 'POST', '/rotate');
    expect(missing.status).toBe(401);
    expect(missing.body).toMatch(/Bearer/);
    expect((await request(port, 'POST', '/rotate', { authorization: 'Bearer wrong' })).status).toBe(401);
    await expectGuarded(port, 'POST', '/rotate', 200, { authorization: `Bearer ${token}` });
    expect(rec.stderr).not.toContain(token); // never logged
  });

  it('takes the token from the config file (controlToken)', async () => {
    const dir = tmpDir('tt-control-cfg-');
    dirs.push(dir);
    const cfg = path.join(dir, 'ticktape.json');
    fs.writeFileSync(cfg, JSON.stringify({ data: path.join(dir, 'data'), http: '127.0.0.1:0', controlToken: 'from-the-config', exchanges: [{ name: 'coinstore', url: 'ws://127.0.0.1:9/s/ws', channels: ['btcusdt@trade'] }] }), { mode: 0o600 });
    const rec = new RecorderProcess(['--config', cfg]);
    procs.push(rec);
    const port = await rec.httpPort();
    expect((await request(port, 'POST', '/rotate')).status).toBe(401);
    expect((await request(port, 'POST', '/rotate', { authorization: 'Bearer from-the-config' })).status).toBe(200);
  });
});

describe('replay control API', () => {
  let replay: ReplayServer | null = null;
  afterEach(async () => {
    await replay?.close();
    replay = null;
  });

  async function emptyReplay(controlToken: string | null): Promise<ReplayServer> {
    const dir = tmpDir('tt-control-replay-');
    dirs.push(dir);
    fs.mkdirSync(path.join(dir, 'data'));
    return startReplay({ dataDir: path.join(dir, 'data'), port: 0, controlToken });
  }

  it('refuses a foreign Host or Origin on every /control path', async () => {
    replay = await emptyReplay(null);
    await expectGuarded(replay.port, 'GET', '/control/sessions', 200);
    await expectGuarded(replay.port, 'POST', '/control/sessions/nosuch/pause', 404);
    await expectGuarded(replay.port, 'GET', '/control/stats', 200);
  });

  it('with --control-token requires the bearer token', async () => {
    replay = await emptyReplay('replay-token');
    expect((await request(replay.port, 'GET', '/control/sessions')).status).toBe(401);
    expect((await request(replay.port, 'POST', '/control/sessions/x/seek?to=0', { authorization: 'Bearer nope' })).status).toBe(401);
    await expectGuarded(replay.port, 'GET', '/control/sessions', 200, { authorization: 'Bearer replay-token' });
  });
});

describe('a web page the operator visits', () => {
  let browser: Browser | null = null;
  let page: http.Server | null = null;
  afterEach(async () => {
    await browser?.close();
    browser = null;
    if (page) await new Promise<void>((r) => page!.close(() => r()));
    page = null;
  });

  it('cannot make the recorder rotate its connections (Chromium, a page from another origin)', async (ctx) => {
    if (skipWithout('chromium', 'the browser CSRF check')) return ctx.skip();
    const dir = tmpDir('tt-control-page-');
    dirs.push(dir);
    const rec = new RecorderProcess(['--simulate', '--data', path.join(dir, 'data'), '--http', '127.0.0.1:0', '--stagger-ms', '10']);
    procs.push(rec);
    const port = await rec.httpPort();
    await rec.waitLog((l) => l.msg === 'connected' && l.exchange === 'coinstore');
    // the attacking page: a form post and a no-cors fetch, the two a page can send anywhere
    const html = `<!doctype html><form id="f" method="POST" action="http://127.0.0.1:${port}/rotate"></form>
      <script>fetch('http://127.0.0.1:${port}/rotate', { method: 'POST', mode: 'no-cors' }).finally(() => document.getElementById('f').submit());</script>`;
    page = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((r) => page!.listen(0, '127.0.0.1', () => r()));
    const pagePort = (page.address() as AddressInfo).port;
    browser = await launchChromium();
    const session = await browser.newPage();
    await browser.send('Page.navigate', { url: `http://localhost:${pagePort}/attack.html` }, session);
    await rec.waitLog((l) => l.msg === 'control request refused' && rec.logs.filter((x) => x.msg === 'control request refused').length >= 2, 20_000);
    const refused = rec.logs.filter((l) => l.msg === 'control request refused');
    expect(refused.every((l) => l.origin === `http://localhost:${pagePort}`)).toBe(true);
    expect(rec.logs.some((l) => String(l.msg).startsWith('rotating connection'))).toBe(false);
  }, 90_000);
});
