/**
 * Global test setup: says once which third-party programs are missing (their tests are skipped
 * with a message, or fail under TICKTAPE_TEST_STRICT=1). Installing them is `scripts/test-packages.sh`'s
 * job (run by `.ci/run`), not the test run's.
 */
import { missingTool, STRICT, type SystemTool } from '../helpers/system-tools.js';

const TOOLS: SystemTool[] = ['chromium', 'paho', 'java-websocket', 'moto', 'systemd-analyze'];

export default function setup(): void {
  const missing = TOOLS.map(missingTool).filter((r): r is string => r !== null);
  if (missing.length === 0) return;
  const how = STRICT ? 'their tests will fail (TICKTAPE_TEST_STRICT=1)' : 'their tests are skipped';
  process.stderr.write(`Missing test tools, ${how}:\n${missing.map((m) => `  - ${m}`).join('\n')}\nRun scripts/test-packages.sh (as root) to install them.\n`);
}
