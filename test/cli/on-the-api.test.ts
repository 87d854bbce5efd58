/**
 * The CLI is built on the library: each command that starts a server or the recorder, or opens a
 * data folder or an s3:// store, gets it from api/ (the functions `import … from 'ticktape'` gives),
 * never from the runtime those functions wrap — so the CLI and the library cannot drift apart in
 * options, validation or behaviour. Checked on the commands' imports: the store commands reach a
 * bucket only through the Store, so they import nothing under store/remote/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What the library wraps: a command importing one of these has gone around the API. */
const RUNTIME: Record<string, string[]> = {
  'recorder/recorder.ts': ['Recorder'],
  'simulator/server.ts': ['startSimulator'],
  'replay/server.ts': ['startReplay'],
  'store/seal/sealer.ts': ['sealClosedSegments'],
  'store/seal/compact.ts': ['compactAll'],
  'store/seal/recover-dead.ts': ['recoverDeadSegments'],
  'store/seal/verify-store.ts': ['verifyStore'],
  'store/seal/index.ts': ['sealClosedSegments', 'compactAll', 'recoverDeadSegments', 'verifyStore'],
  'store/duck/inventory.ts': ['inventory'],
  'store/duck/index.ts': ['inventory'],
  'store/remote/verify-remote.ts': ['verifyBucket', 'verifyRemoteStore', 'summarizeInstances'],
  'store/remote/compact-remote.ts': ['compactBucket'],
  'store/remote/bucket-store.ts': ['BucketStore'],
  'store/remote/s3-client.ts': ['openRemoteStore'],
  'store/remote/read-cache.ts': ['StoreCache'],
  'store/remote/data-source.ts': ['openRemoteDataSource'],
};

/** Commands on the Store: a bucket is its business (verify in the bucket, compaction, instances), not theirs. */
const STORE_COMMANDS = ['ls', 'verify', 'seal'];

/** command → the api/ module it starts or opens through. */
const COMMANDS: Record<string, string> = {
  record: 'api/recorder.ts',
  simulate: 'api/simulator.ts',
  replay: 'api/replay-server.ts',
  query: 'api/store.ts',
  ls: 'api/store.ts',
  verify: 'api/store.ts',
  seal: 'api/store.ts',
};

function importsOf(file: string): Array<{ target: string; names: string[] }> {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(\.[^']+)'/g)].map((m) => ({
    target: path.relative(ROOT, path.resolve(path.dirname(file), m[2])).replace(/\.js$/, '.ts'),
    names: m[1]
      .split(',')
      .map((n) =>
        n
          .replace(/^\s*type\s+/, '')
          .split(/\s+as\s+/)[0]
          .trim(),
      )
      .filter(Boolean),
  }));
}

describe('the CLI is built on the library', () => {
  for (const [command, api] of Object.entries(COMMANDS)) {
    it(`ticktape ${command} goes through ${api}`, () => {
      const imports = importsOf(path.join(ROOT, 'cli/commands', `${command}.ts`));
      expect(imports.map((i) => i.target)).toContain(api);
      const around = imports.flatMap((i) => (RUNTIME[i.target] ?? []).filter((n) => i.names.includes(n)).map((n) => `${n} from ${i.target}`));
      expect(around).toEqual([]);
    });
  }

  for (const command of STORE_COMMANDS) {
    it(`ticktape ${command} reaches an s3:// store through the Store only`, () => {
      const remote = importsOf(path.join(ROOT, 'cli/commands', `${command}.ts`)).filter((i) => i.target.startsWith('store/remote/'));
      expect(remote.map((i) => `${i.names.join(', ')} from ${i.target}`)).toEqual([]);
    });
  }
});
