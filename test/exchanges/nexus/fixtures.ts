/** Loads the Nexus fixtures: every example message of the documents with its hand-checked rows. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NormalizedRow } from '../../../schemas/rows.js';
import type { RawFrame } from '../../../exchanges/types.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../../../exchanges/nexus/fixtures/', import.meta.url));

export interface Fixture {
  name: string;
  payload: string;
  source: string;
  stream: string;
  rows: NormalizedRow[];
}

export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.expected.json'))
    .sort()
    .map((f) => {
      const name = f.replace(/\.expected\.json$/, '');
      const expected = JSON.parse(readFileSync(FIXTURE_DIR + f, 'utf8')) as { source: string; stream: string; rows: NormalizedRow[] };
      return { name, payload: readFileSync(`${FIXTURE_DIR}${name}.json`, 'utf8'), ...expected };
    });
}

export function loadRequests(): Array<{ source: string; text: string }> {
  return JSON.parse(readFileSync(FIXTURE_DIR + 'requests.json', 'utf8')) as Array<{ source: string; text: string }>;
}

export function frame(payload: string | Uint8Array, stream: string, kind: RawFrame['kind'] = 'text'): RawFrame {
  return {
    payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
    kind,
    stream,
    endpoint: 'wss://demo.go-nexus.io/api/realtime?X-API-TOKEN=REDACTED',
    recvNs: 1_700_000_000_000_000_000n,
  };
}
