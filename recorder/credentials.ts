/**
 * Credentials from the environment: TICKTAPE_<EXCHANGE>_<FIELD>, where FIELD is the credential
 * field in upper snake case (apiKey → API_KEY) or plain upper case (APIKEY). Values are never logged.
 */
import type { Credentials } from '../exchanges/types.js';

export function envNames(exchange: string, field: string): string[] {
  const ex = exchange.toUpperCase();
  const snake = field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  const upper = field.toUpperCase();
  return snake === upper ? [`TICKTAPE_${ex}_${snake}`] : [`TICKTAPE_${ex}_${snake}`, `TICKTAPE_${ex}_${upper}`];
}

export function credentialsFromEnv(exchange: string, fields: readonly string[], env: NodeJS.ProcessEnv): Credentials {
  const out: Credentials = {};
  for (const field of fields) {
    for (const name of envNames(exchange, field)) {
      const v = env[name];
      if (v) {
        out[field] = v;
        break;
      }
    }
  }
  return out;
}
