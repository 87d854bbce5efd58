/**
 * The recorder's instance id: names its journal folder and its sealed files, so several recorders
 * can share a store. Default: the host name (sanitized) plus a random suffix generated once and kept
 * in `<data>/instance-id`, so a restart keeps the same id and two hosts with one name do not collide.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TicktapeError } from '../core/errors.js';

const INSTANCE_ID_FILE = 'instance-id';
const INSTANCE_RE = /^[a-z0-9-]{1,40}$/;

export function sanitizeHostname(host: string): string {
  const s = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return (s || 'host').slice(0, 32).replace(/-$/, '');
}

/** Reads `<data>/instance-id`, or creates it; an explicit id wins (and is not written). */
export function resolveInstanceId(dataDir: string, explicit: string | null, hostname: string = os.hostname()): string {
  if (explicit) {
    if (!INSTANCE_RE.test(explicit)) throw new TicktapeError('TT_CONFIG_INVALID', `instance: "${explicit}" must be 1-40 characters of a-z, 0-9 and -.`);
    return explicit;
  }
  const file = path.join(dataDir, INSTANCE_ID_FILE);
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (INSTANCE_RE.test(id)) return id;
    throw new TicktapeError('TT_DATA_DIR', `${file} holds "${id}", not a valid instance id: fix or delete the file.`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = `${sanitizeHostname(hostname)}-${randomBytes(3).toString('hex')}`;
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${id}\n`);
  fs.renameSync(tmp, file);
  return id;
}
