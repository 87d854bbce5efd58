/**
 * `startRecorder()` is what `ticktape record` runs: its handle reloads the config file as SIGHUP
 * does (added streams start on the live connection, a broken edit is refused and the recorder keeps
 * its configuration), against the simulator over real sockets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTicktapeError } from '../../core/errors.js';
import { startRecorder, startSimulator } from '../../api/index.js';
import { removeTmpDirs, tmpDir, until } from '../hardening/helpers.js';

afterAll(removeTmpDirs);

describe('startRecorder', () => {
  it('reload() applies the config file again, as SIGHUP does', async () => {
    const dir = tmpDir('tt-api-rec-');
    const sim = await startSimulator({ port: 0, mqttPort: 'off', seed: 5, rate: 50 });
    const cfg = path.join(dir, 'ticktape.yaml');
    const yaml = (channels: string[]) => [`data: ${path.join(dir, 'data')}`, 'http: off', 'staggerMs: 0', 'exchanges:', '  - name: coinstore', `    baseUrl: ws://127.0.0.1:${sim.port}`, `    channels: [${channels.join(', ')}]`, ''].join('\n');
    fs.writeFileSync(cfg, yaml(['btcusdt@trade']), { mode: 0o600 });
    const rec = await startRecorder({ config: cfg });
    try {
      await until(() => rec.stats().streams[0]?.frames > 0, 'the first stream');
      const connId = rec.stats().streams[0].conn_id;

      fs.writeFileSync(cfg, yaml(['btcusdt@trade', 'ethusdt@trade']), { mode: 0o600 });
      expect(rec.reload()).toEqual({ added: 1, removed: 0, kept: 1 });
      await until(() => rec.stats().streams.length === 2 && rec.stats().streams.every((s) => s.frames > 0), 'the added stream to deliver');
      expect(rec.stats().streams.find((s) => s.stream === 'btcusdt@trade')?.conn_id).toBe(connId);

      fs.writeFileSync(cfg, 'exchanges: [{name: coinstore, channels: [nope]}]\n');
      let code = '';
      try {
        rec.reload();
      } catch (err) {
        code = isTicktapeError(err) ? err.code : String(err);
      }
      expect(code).toBe('TT_UNKNOWN_CHANNEL');
      expect(rec.stats().streams.length).toBe(2);
    } finally {
      await rec.close();
      await sim.close();
    }
  });
});
