/**
 * Global test setup: the browser tests (the Coinceres demo page, the HTML report) run in Debian's
 * headless Chromium. On a fresh machine where it is missing and we may install packages (root with
 * apt-get), install it once here, so `npm test` works as the README says; otherwise those tests
 * fail with a message naming the package.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
/** apt-get may take this long on a slow mirror. */
const INSTALL_TIMEOUT_MS = 8 * 60_000;

export default function setup(): void {
  if (process.env.CHROMIUM_PATH || CHROMIUM_PATHS.some((p) => existsSync(p))) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) {
    process.stderr.write('Chromium is missing: browser tests will fail. Install it with `apt-get install -y chromium`.\n');
    return;
  }
  process.stderr.write('Installing Chromium for the browser tests (apt-get install chromium)...\n');
  try {
    execFileSync('/bin/sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: INSTALL_TIMEOUT_MS,
    });
  } catch (err) {
    process.stderr.write(`Chromium could not be installed (${(err as Error).message}); browser tests will fail.\n`);
  }
}
