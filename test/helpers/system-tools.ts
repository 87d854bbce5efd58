/**
 * Third-party programs some tests drive (headless Chromium, Python's Paho MQTT, a JDK with
 * javax.websocket and Jackson, moto_server, systemd-analyze, openssl for test certificates). `.ci/run` installs them
 * (`scripts/test-packages.sh`) and sets TICKTAPE_TEST_STRICT=1, so in CI a missing tool fails its
 * tests; elsewhere those tests are skipped with a message naming the package to install, never silently.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type SystemTool = 'chromium' | 'paho' | 'java-websocket' | 'moto' | 'systemd-analyze' | 'openssl';

/** Tomcat's javax.websocket client with the jars it loads (juli, util, api), and Jackson. */
const JAVA_JARS = ['tomcat9-websocket.jar', 'tomcat9-websocket-api.jar', 'tomcat9-juli.jar', 'tomcat9-util.jar', 'tomcat9-api.jar', 'jackson-databind.jar', 'jackson-core.jar', 'jackson-annotations.jar'].map((j) => `/usr/share/java/${j}`);

/** The Debian package(s) that provide each tool, as named in scripts/test-packages.sh. */
export const TOOL_PACKAGES: Record<SystemTool, string> = {
  chromium: 'chromium',
  paho: 'python3-paho-mqtt',
  'java-websocket': 'default-jdk libtomcat9-java libjackson2-databind-java',
  moto: 'moto_server (pip package moto[server])',
  'systemd-analyze': 'systemd',
  openssl: 'openssl',
};

const CHROMIUM_PATHS = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];

/** The Python that has Debian's paho (the distribution's, not a pyenv shim earlier on PATH). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

const cache = new Map<SystemTool, string | null>();

/** null when the tool is usable, else why not (with the package to install). */
export function missingTool(tool: SystemTool): string | null {
  if (cache.has(tool)) return cache.get(tool)!;
  let ok: boolean;
  switch (tool) {
    case 'chromium':
      ok = CHROMIUM_PATHS.some((p) => existsSync(p));
      break;
    case 'paho':
      ok = runs(SYSTEM_PYTHON, ['-c', 'import paho.mqtt.client']);
      break;
    case 'java-websocket':
      ok = runs('javac', ['-version']) && JAVA_JARS.every((j) => existsSync(j));
      break;
    case 'moto':
      ok = runs('sh', ['-c', 'command -v moto_server']);
      break;
    case 'systemd-analyze':
      ok = runs('systemd-analyze', ['--version']);
      break;
    case 'openssl':
      ok = runs('openssl', ['version']);
      break;
  }
  const reason = ok ? null : `${tool} is not installed (install ${TOOL_PACKAGES[tool]}; scripts/test-packages.sh does it)`;
  cache.set(tool, reason);
  return reason;
}

export const STRICT = process.env.TICKTAPE_TEST_STRICT === '1';

/**
 * true when the tests that need `tool` must be skipped: the tool is missing and the run is not
 * strict. Prints why. In a strict run (CI) a missing tool throws, so its tests fail instead.
 */
export function skipWithout(tool: SystemTool, what: string): boolean {
  const reason = missingTool(tool);
  if (!reason) return false;
  if (STRICT) throw new Error(`${what}: ${reason}`);
  process.stderr.write(`SKIPPED ${what}: ${reason}\n`);
  return true;
}
