/**
 * No dead exports: every exported name of the product's modules is imported by another file (or
 * is the public API, or is listed with its reason in scripts/unused-exports.allow). The checker runs
 * on this repository, and on a small tree that shows it catches a new unused export, honours the
 * allow-list, counts an import of a built file for its source, and flags a stale allow-list line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'scripts/unused-exports.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-unused-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function check(root?: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...(root ? ['--root', root] : [])], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
  fs.writeFileSync(path.join(tmp, rel), text);
}

describe('unused exports', () => {
  it('this repository has none outside scripts/unused-exports.allow', () => {
    const r = check();
    expect(r.out).toMatch(/; 0 to fix/);
    expect(r.code).toBe(0);
  });

  it('a new export nobody imports fails the check, naming it; the allow-list and built-file imports count', () => {
    write('api/index.ts', "export { api } from '../core/a.js';\n");
    write('core/a.ts', 'export const api = 1;\nexport const used = 2;\nexport const unused = 3;\nexport type Built = number;\n');
    write('core/b.ts', "import { used } from './a.js';\nexport const b = used;\n");
    write('test/b.test.ts', "import { b } from '../core/b.js';\nconsole.log(b);\n");
    write('scripts/x.mjs', "import { Built } from '../dist/core/a.js';\nconsole.log(Built);\n");
    const fresh = check(tmp);
    expect(fresh.code).toBe(1);
    expect(fresh.out).toContain('core/a.ts: unused');
    expect(fresh.out).not.toMatch(/core\/a\.ts: (api|used|Built)\b/);
    expect(fresh.out).not.toContain('core/b.ts: b');

    write('scripts/unused-exports.allow', '# reasons\ncore/a.ts: unused  # read by a tool by name\n');
    expect(check(tmp).code).toBe(0);

    write('scripts/unused-exports.allow', 'core/a.ts: unused  # read by a tool by name\ncore/b.ts: b  # imported after all\n');
    const stale = check(tmp);
    expect(stale.code).toBe(1);
    expect(stale.out).toMatch(/core\/b\.ts: b .*remove the line/);
  });
});
