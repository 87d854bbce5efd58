/**
 * Global test setup: builds dist/ when a source is newer than its output, so the tests that spawn
 * the built CLI (dist/cli/main.js) test the code as it is, also in a single `npx vitest run <file>`.
 */
import { buildIfStale } from '../../scripts/build-if-stale.mjs';

export default function setup(): void {
  buildIfStale();
}
