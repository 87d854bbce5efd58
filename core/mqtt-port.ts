/**
 * The MQTT-over-TCP port of `simulate` and `replay` (Coinsuper): a port, 0 for any free one, or
 * `off`; by default the HTTP port + 1 (9002 next to the simulator's 9001, 8002 next to the replay's
 * 8001), any free port when the HTTP port is 0 (a test wants two free ports, not port 1).
 */
import { z } from 'zod';
import { TicktapeError } from './errors.js';
import { MAX_PORT } from './listen.js';
import { optionName, type OptionNaming } from './parse-options.js';

/** The `mqttPort` option's field: a port number (or its digits) or "off". */
export function mqttPortField() {
  return z.unknown().transform((v, ctx): number | 'off' => {
    if (v === 'off') return 'off';
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > MAX_PORT) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a port (0 for any free one, up to ${MAX_PORT}) or "off", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });
}

/** The port to listen on for MQTT over TCP, or null for none. */
export function resolveMqttPort(httpPort: number, given: number | 'off' | undefined, naming: OptionNaming = 'flag'): number | null {
  if (given === 'off') return null;
  if (given !== undefined) return given;
  if (httpPort === 0) return 0;
  if (httpPort + 1 > MAX_PORT) {
    const port = optionName('port', naming);
    const mqtt = optionName('mqttPort', naming);
    throw new TicktapeError('TT_CONFIG_INVALID', `${port} ${httpPort} leaves no port above it for MQTT over TCP: give ${mqtt} <port> (0 for any free one) or ${mqtt} off.`, { port: httpPort });
  }
  return httpPort + 1;
}
