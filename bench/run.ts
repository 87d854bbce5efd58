/**
 * `npm run bench [-- name ...]`: runs the benchmarks under bench/ (each `bench/<name>.ts` exports
 * `run(): Promise<BenchResult[]>`) and prints a Markdown table with the machine it ran on.
 * Figures go into BENCHMARKS.md by hand; benchmarks are never timed assertions in tests.
 */
import os from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { BenchModule, BenchResult } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SKIP = new Set(['run', 'types']);

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  // A benchmark is bench/<name>.ts, or bench/<name>/index.ts for one made of several modules.
  const names = readdirSync(here, { withFileTypes: true })
    .filter((e) => (e.isFile() && e.name.endsWith('.js')) || (e.isDirectory() && existsSync(path.join(here, e.name, 'index.js'))))
    .map((e) => (e.isFile() ? e.name.slice(0, -3) : e.name))
    .filter((n) => !SKIP.has(n) && (wanted.length === 0 || wanted.includes(n)))
    .sort();
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(`# ticktape benchmarks\n\n${new Date().toISOString()} — ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n\n`);
  process.stdout.write('| benchmark | figure | value | unit | note |\n|---|---|---:|---|---|\n');
  for (const name of names) {
    const file = existsSync(path.join(here, `${name}.js`)) ? `${name}.js` : path.join(name, 'index.js');
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as Partial<BenchModule>;
    if (typeof mod.run !== 'function') continue;
    process.stderr.write(`running ${name}...\n`);
    let results: BenchResult[];
    try {
      results = await mod.run();
    } catch (err) {
      process.stdout.write(`| ${name} | FAILED | | | ${String((err as Error).message ?? err).replace(/\|/g, '/')} |\n`);
      continue;
    }
    for (const r of results) {
      const v = Number.isInteger(r.value) ? String(r.value) : r.value.toPrecision(4);
      process.stdout.write(`| ${name} | ${r.name} | ${v} | ${r.unit} | ${r.note ?? ''} |\n`);
    }
  }
}

await main();
