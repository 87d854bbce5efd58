import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const D = process.env.DIST ?? './dist';
const { shape } = await import(`${D}/bench/peers/shapes.js`);
const { sealRecords } = await import(`${D}/store/seal/sealer.js`);
const { NormalizerSet } = await import(`${D}/store/seal/normalizers.js`);
const { openDuckSession } = await import(`${D}/store/duck/session.js`);
const N = Number(process.env.N ?? 120000);
const recs = [];
for (const r of shape('coinstore-trades').frames(N)) { recs.push(r); if (recs.length >= N) break; }
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttprof-'));
const session = await openDuckSession({ memoryLimit: '96MB', threads: 1 });
for (let round = 0; round < 2; round++) {
  const t = process.cpuUsage();
  await sealRecords(session, dir, 'bench', `seg${round}`, recs, { normalizers: new NormalizerSet() });
  const u = process.cpuUsage(t);
  console.log(`round ${round}: ${((u.user + u.system) / 1e6).toFixed(2)} CPU-s, ${Math.round(N / ((u.user + u.system) / 1e6))} frames/CPU-s`);
}
session.close();
fs.rmSync(dir, { recursive: true, force: true });
