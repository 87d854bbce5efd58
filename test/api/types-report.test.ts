/**
 * types/index.d.ts — the package's declarations and its API reference — is what the source of the
 * public entry (api/index.ts) declares: regenerated here and compared, so an API change without
 * `npm run api-types` fails, and a reviewer sees every public change in that one file's diff.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../recorder/harness.js';

describe('types/index.d.ts', () => {
  it('is what api/index.ts declares now', () => {
    const out = path.join(tmpDir('tt-types-'), 'index.d.ts');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const args = pkg.scripts['api-types']
      .split(' ')
      .slice(1)
      .map((a) => (a === 'types/index.d.ts' ? out : a));
    const bin = path.join(ROOT, 'node_modules/dts-bundle-generator/dist/bin/dts-bundle-generator.js');
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
    expect(r.status, r.stderr).toBe(0);
    const fresh = fs.readFileSync(out, 'utf8');
    const committed = fs.readFileSync(path.join(ROOT, 'types/index.d.ts'), 'utf8');
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    expect(committed, 'types/index.d.ts is out of date: run npm run api-types').toBe(fresh);
  }, 900_000);

  it('declares the public API and no internal module', () => {
    const d = fs.readFileSync(path.join(ROOT, 'types/index.d.ts'), 'utf8');
    for (const name of ['replay', 'replayNormalized', 'openStore', 'startSimulator', 'startReplayServer', 'startRecorder']) expect(d).toMatch(new RegExp(`export declare function ${name}\\(`));
    expect(d).toContain('export declare class OrderBook');
    expect(d).toContain('static bookAt(');
    expect(d).toMatch(/queryArrow\(sql: string, params\?: QueryParams\): Promise<Table>/);
    // only packages the library depends on are imported, never a relative path
    for (const m of d.matchAll(/^import .* from '([^']+)';$/gm)) expect(['apache-arrow', 'pino', 'zod']).toContain(m[1]);
  });
});
