// Builds dist/ (npm run build) when any compiled source is newer than its output or has none, so
// the tests that run the built CLI (child processes of dist/cli/main.js) never run stale code.
// Run by `npm test` (pretest) and by the test setup, so a single `npx vitest run <file>` gets it too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The source files tsconfig.json compiles, and the .js file each becomes. */
function sources() {
  const { include } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of include) if (fs.existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
  return out;
}

/** The first source whose output is missing or older, or null when dist/ is up to date. */
export function staleSource() {
  for (const src of sources()) {
    const rel = path.relative(ROOT, src).replace(/\.ts$/, '.js');
    const out = path.join(ROOT, 'dist', rel);
    if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) return path.relative(ROOT, src);
  }
  return null;
}

export function buildIfStale() {
  const stale = staleSource();
  if (stale === null) return false;
  process.stderr.write(`dist/ is older than ${stale}: building (npm run build)\n`);
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) buildIfStale();
