/**
 * The published package as a user gets it: `npm pack`, installed into a fresh project (its
 * dependencies from the npm cache/registry), a consumer file type-checked with `tsc --strict`
 * against the package's own declarations and run: simulator → recorder → seal → replay() and
 * replayNormalized(), counted against SQL. The package exposes the library entry only.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tmpDir } from '../recorder/harness.js';

const INSTALL_TIMEOUT_MS = 300_000;
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };

let dir = '';
let project = '';
let files: string[] = [];

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stdout + r.stderr).slice(-4000)}`);
  return r.stdout;
}

beforeAll(() => {
  dir = tmpDir('tt-pack-');
  // This checkout is built (CI builds before testing): pack it as it is, without rebuilding dist/ under other tests.
  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)) as [{ filename: string; files: { path: string }[] }];
  files = packed[0].files.map((f) => f.path);
  project = path.join(dir, 'consumer');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, path.basename(packed[0].filename))], project);
  fs.copyFileSync(path.join(ROOT, 'test/api/consumer/backtest.ts'), path.join(project, 'backtest.ts'));
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')], outDir: 'out', skipLibCheck: false },
      files: ['backtest.ts'],
    }),
  );
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe('the packed package', () => {
  it('holds the built library, its declarations and the CLI; no benchmarks, tests or source maps', () => {
    expect(files).toContain('dist/api/index.js');
    expect(files).toContain('types/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files.filter((f) => f.startsWith('dist/bench/') || f.startsWith('test/') || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/ticktape/package.json'), 'utf8'));
    expect(Object.keys(pkg.exports)).toEqual(['.']);
  });

  it(
    'a consumer type-checks with tsc --strict and runs: simulator → recorder → seal → replay(), replayNormalized() equal to query',
    () => {
      run(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
      const out = run(process.execPath, ['out/backtest.js'], project).trim().split('\n').pop()!;
      const r = JSON.parse(out);
      expect(r.recordedFrom).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
      expect(r.sql.frames).toBeGreaterThan(20);
      expect(r.replay).toEqual({ frames: r.sql.frames, gaps: r.sql.gaps, ordered: true });
      expect(r.sql.trades).toBeGreaterThan(0);
      expect(r.sql.books).toBeGreaterThan(0);
      expect(r.normalized).toMatchObject({ trades: r.sql.trades, books: r.sql.books, tickers: r.sql.tickers });
      expect(r.normalized.priced).toBeGreaterThan(0);
      expect(r.arrowRows).toBe(r.sql.trades);
      expect(r.streams).toBeGreaterThanOrEqual(3);
      expect(r.damaged).toBe(false);
      expect(r.lastBook).toBeGreaterThan(0);
      expect(r.deepImport).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    },
    INSTALL_TIMEOUT_MS,
  );

  it(
    "the README's TypeScript example type-checks against the package",
    () => {
      const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const section = readme.slice(readme.indexOf('## Use from TypeScript'));
      const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
      expect(code).toBeTruthy();
      fs.writeFileSync(path.join(project, 'readme-example.ts'), `${code}\ndeclare function handle(stream: string, payload: Uint8Array, recvNs: bigint): void;\n`);
      const r = spawnSync(
        process.execPath,
        [TSC, '--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules/@types'), 'readme-example.ts'],
        { cwd: project, env, encoding: 'utf8' },
      );
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
    INSTALL_TIMEOUT_MS,
  );

  it(
    'a type error in a consumer fails tsc (the declarations are checked, not any)',
    () => {
      fs.writeFileSync(path.join(project, 'wrong.ts'), "import { replay } from 'ticktape';\nreplay({ data: './d', from: { when: 'now' } });\n");
      const r = spawnSync(process.execPath, [TSC, '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules/@types'), 'wrong.ts'], {
        cwd: project,
        env,
        encoding: 'utf8',
      });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain('wrong.ts');
    },
    INSTALL_TIMEOUT_MS,
  );
});
