/**
 * The JavaScript demo page of the Coinceres seed, unchanged apart from its URL, run in headless
 * Chromium against the trading socket's server side. What the page sent and received is read over
 * the DevTools protocol (Network.webSocket* events): the page's own message handler logs nothing
 * for text frames (`typeof event.data === String` is never true), so its console cannot tell.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeHost } from '../../../exchanges/host.js';
import { launchChromium, type Browser } from './chromium.js';
import { skipWithout } from '../../helpers/system-tools.js';
import { hostCoinceres } from './host.js';

const PAGE = readFileSync(new URL('../../../exchanges/coinceres/fixtures/demo-page.html', import.meta.url), 'utf8');
const SEED_URL_BASE = 'ws://open.coinceres.com:19001';
const SEED_KEY = 'bGppXpZqNrZVOptf';
const PDF_KEY = 'bGppXpZqNrzVOptf';

interface PageLog {
  created: string[];
  handshakeStatus: number[];
  sent: string[];
  received: string[];
  console: string[];
  log: string[];
}

async function openDemo(browser: Browser, url: string): Promise<{ session: string; log: PageLog }> {
  const session = await browser.newPage();
  const log: PageLog = { created: [], handshakeStatus: [], sent: [], received: [], console: [], log: [] };
  const mine = (fn: (p: any) => void) => (p: any, s?: string) => {
    if (s === session) fn(p);
  };
  browser.on(
    'Network.webSocketCreated',
    mine((p) => log.created.push(p.url)),
  );
  browser.on(
    'Network.webSocketHandshakeResponseReceived',
    mine((p) => log.handshakeStatus.push(p.response.status)),
  );
  browser.on(
    'Network.webSocketFrameSent',
    mine((p) => log.sent.push(p.response.payloadData)),
  );
  browser.on(
    'Network.webSocketFrameReceived',
    mine((p) => log.received.push(p.response.payloadData)),
  );
  browser.on(
    'Runtime.consoleAPICalled',
    mine((p) => log.console.push(p.args.map((a: any) => a.value ?? a.description ?? '').join(' '))),
  );
  browser.on(
    'Log.entryAdded',
    mine((p) => log.log.push(p.entry.text)),
  );
  await browser.send('Page.navigate', { url }, session);
  return { session, log };
}

/** Types into the page's input box and presses Enter: the page's own sendMsg() sends it. */
async function typeAndEnter(browser: Browser, session: string, text: string): Promise<void> {
  await browser.send('Runtime.evaluate', { expression: "document.getElementById('messageText').focus()" }, session);
  await browser.send('Input.insertText', { text }, session);
  for (const type of ['keyDown', 'keyUp'] as const) {
    await browser.send('Input.dispatchKeyEvent', { type, key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 }, session);
  }
}

describe.skipIf(skipWithout('chromium', 'the Coinceres demo page'))('the Coinceres seed demo page in headless Chromium', () => {
  let host: ExchangeHost;
  let browser: Browser;
  let pageUrl: (key: string) => string;

  beforeAll(async () => {
    const pages = new Map<string, string>();
    ({ host } = await hostCoinceres({
      onRequest(req, res) {
        const body = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
        if (!body) return false;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(body);
        return true;
      },
    }));
    const wsBase = host.url('coinceres', 'trade');
    expect(PAGE).toContain(`'${SEED_URL_BASE}?api_key=${SEED_KEY}&sign=`);
    pageUrl = (key) => {
      const path = `/demo-${key}.html`;
      pages.set(path, PAGE.replace(`${SEED_URL_BASE}?api_key=${SEED_KEY}`, `${wsBase}?api_key=${key}`));
      return `http://127.0.0.1:${host.port}${path}`;
    };
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it('connects with the key as the original PDF spells it, pings, and gets answers to what is typed into it', async () => {
    const { session, log } = await openDemo(browser, pageUrl(PDF_KEY));
    await browser.until(() => log.received.includes('pong'), 'the pong answering the ping the page sends on open');
    expect(log.created).toHaveLength(1);
    expect(log.created[0]).toContain(`api_key=${PDF_KEY}&sign=2bb24f69ca812c766a7bd73e3c2a331b55373a122bba8ede47ced0b4a07139c0`);
    expect(log.handshakeStatus).toEqual([101]); // authenticated during the handshake
    expect(log.sent[0]).toBe('ping');

    await typeAndEnter(browser, session, '{"biz_type":14}');
    await browser.until(() => log.received.some((f) => f.includes('"biz_type":14')), 'the biz_type 14 answer');
    const account = JSON.parse(log.received.find((f) => f.includes('"biz_type":14'))!);
    expect(account).toMatchObject({ code: '200', message: 'SUCESS' });
    expect(account.data.length).toBeGreaterThan(0);

    await typeAndEnter(browser, session, '{"exchange":"TEST","contract":"BTC_USDT","price_type":"limit","entrust_price":"95","entrust_vol":"1","entrust_bs":"buy","future_dir":"open","lever":"1","client_oid":"12345","biz_type":11}');
    await browser.until(() => log.received.some((f) => f.includes('"biz_type":11')), 'the place-order answer');
    const placed = JSON.parse(log.received.find((f) => f.includes('"biz_type":11'))!);
    expect(placed).toMatchObject({ biz_type: 11, code: '200', data: { client_oid: '12345' }, message: 'SUCESS' });

    await typeAndEnter(browser, session, 'hello');
    await browser.until(() => log.received.includes('{"code":"400","message":"parameter error"}'), 'the parameter error');

    // the page's sendMsg() cleared its input after sending; it logged no error and no close
    const { result } = await browser.send('Runtime.evaluate', { expression: "document.getElementById('messageText').value" }, session);
    expect(result.value).toBe('');
    expect(log.sent).toEqual(['ping', '{"biz_type":14}', expect.stringContaining('"biz_type":11'), 'hello']);
    expect(log.console).not.toContain('handle error event>>>');
    expect(log.console).not.toContain('connecton closed>>>');
  });

  it('is refused with the key as the seed transcribes it (the documented sign does not verify)', async () => {
    const { log } = await openDemo(browser, pageUrl(SEED_KEY));
    await browser.until(() => log.console.includes('connecton closed>>>'), "the page's close handler");
    expect(log.console).toContain('handle error event>>>');
    expect(log.handshakeStatus).not.toContain(101);
    expect(log.received).toEqual([]);
    // Chromium's wording for a 401 answer to the upgrade request
    expect(log.log.join('\n')).toMatch(/HTTP Authentication failed|401/);
  });
});
