/**
 * Coinstore server side: one endpoint (`/s/ws`), no authentication on the upgrade (public streams
 * need none; private ones LOGIN in-band), one CoinstoreSession per socket.
 */
import type { ServerSide } from '../types.js';
import { ENDPOINT } from './channels.js';
import { CoinstoreSession, DEFAULT_TIMING } from './session.js';

export const serverSide: ServerSide = {
  timing: { [ENDPOINT]: DEFAULT_TIMING },
  checkUpgrade: () => ({ ok: true }),
  createSession: (_endpoint, link, ctx) => new CoinstoreSession(link, ctx),
};
