/**
 * The report page: one self-contained HTML file (uPlot and the data inlined, no network needed).
 * Charts: price + volume bars, spread, depth heatmap, latency histogram, gap timeline, message rates.
 * When every chart has drawn, the page sets `data-rendered` on <body> to the number of charts drawn
 * and `data-inked` to the number of canvases with coloured pixels (the headless-browser test reads both).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportData } from './queries.js';
import { esc, htmlTable } from './html-table.js';

const require = createRequire(import.meta.url);

/** Charts on the page: price, volume, spread, depth heatmap, latency, gap timeline, message rates. */
export const REPORT_CHARTS = 7;

function asset(rel: string): string {
  return readFileSync(require.resolve(rel), 'utf8');
}

/** Client-side drawing code (runs in the browser). */
const CLIENT = String.raw`
(function () {
  const D = JSON.parse(document.getElementById('tt-data').textContent);
  let drawn = 0;
  const W = () => Math.min(1100, document.body.clientWidth - 20);
  function empty(id, text) { document.getElementById(id).innerHTML = '<p class="empty">' + text + '</p>'; }
  function chart(id, opts, data) { new uPlot(Object.assign({ width: W(), height: 260 }, opts), data, document.getElementById(id)); drawn++; }

  // Price (close, high/low band) and volume bars
  if (D.bars.length) {
    const t = D.bars.map(b => b.t);
    chart('c-price', { title: 'Price (' + D.barLabel + ' bars)', axes: [{}, { size: 80 }], series: [{}, { label: 'close', stroke: '#1f77b4', width: 1.5 }, { label: 'high', stroke: '#9ecae1' }, { label: 'low', stroke: '#9ecae1' }] },
      [t, D.bars.map(b => b.close), D.bars.map(b => b.high), D.bars.map(b => b.low)]);
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined;
    // buy volume up, sell volume down from zero: two bars on one x never hide each other
    chart('c-volume', { title: 'Volume: buy (up) / sell (down)', height: 200, axes: [{}, { size: 80 }], series: [{}, { label: 'buy', stroke: '#2ca02c', fill: 'rgba(44,160,44,0.5)', paths: bars }, { label: 'sell', stroke: '#d62728', fill: 'rgba(214,39,40,0.5)', paths: bars, value: (u, v) => v == null ? '--' : String(-v) }] },
      [t, D.bars.map(b => b.buy), D.bars.map(b => -b.sell)]);
  } else { empty('c-price', 'no trades'); empty('c-volume', 'no trades'); }

  if (D.spread.length) {
    chart('c-spread', { title: 'Spread (bps) and mid', series: [{}, { label: 'spread bps', stroke: '#ff7f0e', scale: 'bps' }, { label: 'mid', stroke: '#7f7f7f', scale: 'mid' }],
      axes: [{}, { scale: 'bps', size: 60 }, { scale: 'mid', side: 1, size: 80, grid: { show: false } }] },
      [D.spread.map(s => s.t), D.spread.map(s => s.bps), D.spread.map(s => s.mid)]);
  } else empty('c-spread', 'no book data');

  // Depth heatmap: drawn directly on a canvas (time on x, price on y, colour = resting size)
  if (D.heatmap && D.heatmap.times.length) {
    const h = D.heatmap, cv = document.createElement('canvas');
    cv.width = W(); cv.height = 260; document.getElementById('c-heatmap').appendChild(cv);
    const g = cv.getContext('2d'); const max = Math.max(1e-12, ...h.cells.flat());
    const cw = cv.width / h.times.length, ch = cv.height / h.prices.length;
    h.cells.forEach((col, i) => col.forEach((v, j) => {
      const x = Math.pow(v / max, 0.5); g.fillStyle = 'rgb(' + Math.round(255 * x) + ',' + Math.round(80 + 120 * x) + ',' + Math.round(160 - 120 * x) + ')';
      g.fillRect(i * cw, cv.height - (j + 1) * ch, Math.ceil(cw), Math.ceil(ch));
    }));
    g.fillStyle = '#fff'; g.font = '12px sans-serif';
    g.fillText(h.prices[h.prices.length - 1].toPrecision(6), 4, 12); g.fillText(h.prices[0].toPrecision(6), 4, cv.height - 4);
    drawn++;
  } else empty('c-heatmap', 'no book data');

  if (D.latencyHistogram.length) {
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.9, 50] }) : undefined;
    chart('c-latency', { title: 'Latency: receive − exchange time (ms)', scales: { x: { time: false }, y: { range: (u, lo, hi) => [0, hi] } }, series: [{ label: 'ms' }, { label: 'frames', stroke: '#9467bd', fill: 'rgba(148,103,189,0.5)', paths: bars }] },
      [D.latencyHistogram.map(b => b.ms), D.latencyHistogram.map(b => b.n)]);
  } else empty('c-latency', 'no exchange timestamps');

  // Gap timeline: one row per stream, one bar per gap
  {
    const cv = document.createElement('canvas'); const streams = [...new Set(D.gaps.map(g => g.exchange + ' ' + g.stream))];
    cv.width = W(); cv.height = Math.max(60, 24 * streams.length + 30); document.getElementById('c-gaps').appendChild(cv);
    const g = cv.getContext('2d'); g.font = '11px sans-serif';
    const t0 = D.span ? Number(D.span.firstNs) / 1e9 : 0, t1 = D.span ? Number(D.span.lastNs) / 1e9 : 1, left = 220;
    const x = t => left + (cv.width - left - 10) * (t - t0) / Math.max(1e-9, t1 - t0);
    g.strokeStyle = '#ccc'; g.strokeRect(left, 4, cv.width - left - 10, cv.height - 24);
    const colours = { disconnect: '#d62728', sequence: '#ff7f0e', journal_loss: '#8c564b', corruption: '#e377c2', stale: '#bcbd22', malformed: '#17becf', refused: '#7f7f7f' };
    // long stream keys keep their end (the part that names symbol and channel)
    streams.forEach((s, i) => { g.fillStyle = '#333'; g.fillText(s.length > 36 ? '…' + s.slice(-35) : s, 4, 20 + i * 24); });
    D.gaps.forEach(gp => { const i = streams.indexOf(gp.exchange + ' ' + gp.stream); g.fillStyle = colours[gp.cause] || '#000';
      g.fillRect(x(gp.start), 8 + i * 24, Math.max(2, x(gp.end) - x(gp.start)), 16); });
    g.fillStyle = '#333'; g.fillText(D.gaps.length ? D.gaps.length + ' gaps' : 'no gaps', left, cv.height - 6);
    drawn++;
  }

  if (D.rates.times.length) {
    const palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
    chart('c-rates', { title: 'Messages per second per stream', height: 300, legend: { show: true },
      series: [{}].concat(D.rates.series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length] }))) },
      [D.rates.times].concat(D.rates.series.map(s => s.values)));
  } else empty('c-rates', 'no frames');

  // uPlot draws on its next frame: count afterwards how many canvases carry colour (series, bars,
  // heat cells; axes, grid and labels are grey, so a chart whose data failed to draw does not count).
  // Both attributes are read by the headless-browser test.
  function inkCheck() {
    let inked = 0;
    document.querySelectorAll('canvas').forEach(cv => {
      try {
        const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        for (let i = 0; i < px.length; i += 16) {
          if (px[i + 3] > 0 && Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 40) { inked++; return; }
        }
      } catch (e) { /* a canvas that cannot be read counts as blank */ }
    });
    document.body.setAttribute('data-inked', String(inked));
    document.body.setAttribute('data-rendered', String(drawn));
  }
  requestAnimationFrame(() => setTimeout(inkCheck, 0));
})();
`;

export function renderReportHtml(d: ReportData): string {
  const title = d.focus ? `ticktape report — ${d.focus.exchange} ${d.focus.symbol}` : 'ticktape report';
  const span = d.span ? `${new Date(Number(BigInt(d.span.firstNs) / 1_000_000n)).toISOString()} → ${new Date(Number(BigInt(d.span.lastNs) / 1_000_000n)).toISOString()}` : 'no data';
  // JSON inside <script type="application/json">: escape '<' so no data can close the tag.
  const json = JSON.stringify(d).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${asset('uplot/dist/uPlot.min.css')}
body{font-family:system-ui,sans-serif;margin:20px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}.meta{color:#666;font-size:12px}
.chart{margin:10px 0 18px;min-height:40px}.empty{color:#999;font-style:italic}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f4f4f4}
td:first-child,td:nth-child(2){text-align:left}
</style></head>
<body>
<h1>${esc(title)}</h1>
<div class="meta">data: ${esc(d.dataDir)} · ${esc(span)} · generated ${esc(d.generatedAt)}</div>
<h2>Price and volume</h2><div class="chart" id="c-price"></div><div class="chart" id="c-volume"></div>
<h2>Spread</h2><div class="chart" id="c-spread"></div>
<h2>Depth heatmap</h2><div class="chart" id="c-heatmap"></div>
<h2>Latency</h2><div class="chart" id="c-latency"></div>
<h2>Gaps</h2><div class="chart" id="c-gaps"></div>
<h2>Message rates</h2><div class="chart" id="c-rates"></div>
${Object.entries(d.tables)
  .map(([n, t]) => htmlTable(n, t))
  .join('\n')}
<script type="application/json" id="tt-data">${json}</script>
<script>${asset('uplot/dist/uPlot.iife.min.js')}</script>
<script>${CLIENT}</script>
</body></html>
`;
}
