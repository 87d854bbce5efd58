/**
 * The service setup as the README gives it: the package is packed from this checkout and installed
 * with `npm install -g` into a temporary prefix (the README's `--prefix /usr/local`), the installed
 * `ticktape` command runs a short recording, and `systemd-analyze verify` passes the unit clean
 * with its ExecStart pointing at that installed command.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../helpers/system-tools.js';
import { listPartitionFiles } from '../../store/partitions.js';
import { ROOT, RecorderProcess, getJson, tmpDir, until } from '../recorder/harness.js';

const UNIT = path.join(ROOT, 'deploy/ticktape-recorder.service');
/** Where the README installs the command, and what the unit's ExecStart runs. */
const README_PREFIX = '/usr/local';
const INSTALLED_BIN = `${README_PREFIX}/bin/ticktape`;
const INSTALL_TIMEOUT_MS = 240_000;

let dir: string;
let bin: string;
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };

function run(cmd: string, args: string[], cwd = ROOT): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-3000)}`);
  return r.stdout;
}

beforeAll(() => {
  dir = tmpDir('tt-service-');
  const prefix = path.join(dir, 'prefix');
  // What the README runs, with a temporary prefix for /usr/local. `npm pack` would rebuild dist/
  // (the prepare script) under the other tests' feet: this checkout is already built, so pack as is.
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir]);
  const tgz = fs.readdirSync(dir).find((f) => /^ticktape-.*\.tgz$/.test(f));
  expect(tgz, 'npm pack wrote no tarball').toBeTruthy();
  run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, tgz!)], dir);
  bin = path.join(prefix, 'bin', 'ticktape');
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

describe('service setup', () => {
  it('the README installs the command the unit runs: npm pack, npm install -g of the tarball', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm pack');
    expect(readme).toContain(`sudo npm install -g --prefix ${README_PREFIX} ./ticktape-*.tgz`);
    const execStart = /^ExecStart=(.*)$/m.exec(fs.readFileSync(UNIT, 'utf8'))?.[1];
    expect(execStart).toBe(`${INSTALLED_BIN} record --config /etc/ticktape/ticktape.yaml`);
  });

  it('the installed command runs: --version, and a short `record --simulate` that seals on SIGTERM', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run(bin, ['--version'], dir).trim()).toBe(pkg.version);
    const data = path.join(dir, 'data');
    // from another folder than the clone: the installed package finds its own files
    const rec = new RecorderProcess(['--simulate', '--data', data, '--http', '127.0.0.1:0', '--stagger-ms', '10'], { PATH: env.PATH }, [bin]);
    try {
      const port = await rec.httpPort();
      await until(async () => {
        const h = await getJson(port, '/health');
        return new Set(h.streams.filter((s: any) => s.frames > 0).map((s: any) => s.exchange)).size === 4;
      }, 'frames from all four exchanges');
      expect((await rec.stop('SIGTERM')).code).toBe(0);
    } finally {
      await rec.stop('SIGKILL');
    }
    expect(listPartitionFiles(data).some((f) => f.table === 'raw')).toBe(true);
  });

  it('`systemd-analyze verify` passes the unit without a warning', (ctx) => {
    if (skipWithout('systemd-analyze', 'the systemd unit check')) return ctx.skip();
    // The unit exactly as shipped, but ExecStart resolving to the command installed above (verify
    // checks that the binary exists and is executable, as on a host set up per the README).
    const unit = fs.readFileSync(UNIT, 'utf8');
    expect(unit).toContain(`ExecStart=${INSTALLED_BIN} `);
    const unitDir = path.join(dir, 'unit');
    fs.mkdirSync(unitDir, { recursive: true });
    const copy = path.join(unitDir, 'ticktape-recorder.service');
    fs.writeFileSync(copy, unit.replace(`ExecStart=${INSTALLED_BIN} `, `ExecStart=${bin} `));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 60_000 });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
