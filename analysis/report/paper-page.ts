/**
 * The paper report page: one self-contained HTML file (uPlot and the data inlined) with PnL over
 * time, fills against the market, slippage and latency, and the summary tables. Like the market
 * report, the page sets `data-rendered` (charts drawn) and `data-inked` (canvases with coloured
 * pixels) on <body> once it has drawn, for the headless-browser test.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { PaperReportData } from './paper-queries.js';
import { esc, htmlTable } from './html-table.js';

const require = createRequire(import.meta.url);

/** Charts on the page: PnL, fills against the market, slippage, latency. */
export const PAPER_REPORT_CHARTS = 4;

const asset = (rel: string) => readFileSync(require.resolve(rel), 'utf8');

const CLIENT = String.raw`
(function () {
  const D = JSON.parse(document.getElementById('tt-data').textContent);
  let drawn = 0;
  const W = () => Math.min(1100, document.body.clientWidth - 20);
  function empty(id, text) { document.getElementById(id).innerHTML = '<p class="empty">' + text + '</p>'; }
  function chart(id, opts, data) { new uPlot(Object.assign({ width: W(), height: 260 }, opts), data, document.getElementById(id)); drawn++; }
  const palette = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#ff7f0e'];
  const bars = () => (uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined);

  if (D.pnl.times.length) {
    chart('c-pnl', { title: 'PnL over time (marked at the recorded mid, fees included)', axes: [{}, { size: 80 }],
      series: [{}].concat(D.pnl.series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))) },
      [D.pnl.times].concat(D.pnl.series.map(s => s.values)));
  } else empty('c-pnl', 'no fills');

  if (D.market.times.length) {
    const dots = (c) => ({ show: true, size: 7, stroke: c, fill: c });
    chart('c-market', { title: 'Fills against the market: ' + (D.focus ? D.focus.exchange + ' ' + D.focus.symbol : ''), axes: [{}, { size: 80 }],
      series: [{}, { label: 'recorded mid', stroke: '#7f7f7f', spanGaps: true }, { label: 'buy', stroke: '#2ca02c', paths: () => null, points: dots('#2ca02c') }, { label: 'sell', stroke: '#d62728', paths: () => null, points: dots('#d62728') }] },
      [D.market.times, D.market.mid, D.market.buys, D.market.sells]);
  } else empty('c-market', 'no fills');

  if (D.slippage.length) {
    chart('c-slippage', { title: 'Slippage (bps, positive = worse than the mid when the order arrived)', scales: { x: { time: false }, y: { range: (u, lo, hi) => [0, hi] } },
      series: [{ label: 'bps' }, { label: 'fills', stroke: '#ff7f0e', fill: 'rgba(255,127,14,0.5)', paths: bars() }] },
      [D.slippage.map(b => b.bps), D.slippage.map(b => b.n)]);
  } else empty('c-slippage', 'no fills');

  if (D.latency.length) {
    chart('c-latency', { title: 'Order-in latency (ms of replay time, arrival to the engine acting)', scales: { x: { time: false }, y: { range: (u, lo, hi) => [0, hi] } },
      series: [{ label: 'ms' }, { label: 'orders', stroke: '#9467bd', fill: 'rgba(148,103,189,0.5)', paths: bars() }] },
      [D.latency.map(b => b.ms), D.latency.map(b => b.n)]);
  } else empty('c-latency', 'no orders');

  function inkCheck() {
    let inked = 0;
    document.querySelectorAll('canvas').forEach(cv => {
      try {
        const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        for (let i = 0; i < px.length; i += 16) {
          if (px[i + 3] > 0 && Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 40) { inked++; return; }
        }
      } catch (e) { /* unreadable: blank */ }
    });
    document.body.setAttribute('data-inked', String(inked));
    document.body.setAttribute('data-rendered', String(drawn));
  }
  requestAnimationFrame(() => setTimeout(inkCheck, 0));
})();
`;

export function renderPaperHtml(d: PaperReportData): string {
  const title = `ticktape paper report — session ${d.session}`;
  const span = d.span ? `${new Date(Number(BigInt(d.span.firstNs) / 1_000_000n)).toISOString()} → ${new Date(Number(BigInt(d.span.lastNs) / 1_000_000n)).toISOString()}` : 'no orders';
  const json = JSON.stringify(d).replace(/</g, '\\u003c');
  const settings = JSON.stringify(d.manifest.settings ?? {}, null, 1);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${asset('uplot/dist/uPlot.min.css')}
body{font-family:system-ui,sans-serif;margin:20px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}.meta{color:#666;font-size:12px}
.chart{margin:10px 0 18px;min-height:40px}.empty{color:#999;font-style:italic}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f4f4f4}
td:first-child,td:nth-child(2){text-align:left}pre{font-size:11px;background:#f8f8f8;padding:6px;max-height:200px;overflow:auto}
</style></head>
<body>
<h1>${esc(title)}</h1>
<div class="meta">results: ${esc(d.folder)} · recording: ${esc(d.dataDir)} · ${esc(span)} · generated ${esc(d.generatedAt)}</div>
<h2>PnL</h2><div class="chart" id="c-pnl"></div>
<h2>Fills against the market</h2><div class="chart" id="c-market"></div>
<h2>Slippage</h2><div class="chart" id="c-slippage"></div>
<h2>Latency</h2><div class="chart" id="c-latency"></div>
${Object.entries(d.tables)
  .map(([n, t]) => htmlTable(n, t))
  .join('\n')}
<h2>Settings</h2><pre>${esc(settings)}</pre>
<script type="application/json" id="tt-data">${json}</script>
<script>${asset('uplot/dist/uPlot.iife.min.js')}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
