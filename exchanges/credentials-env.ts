/**
 * Credentials from the environment, for every command that takes them (`record`, `simulate`, and
 * `replay`'s accepted credentials): TICKTAPE_<EXCHANGE>_<FIELD>, where FIELD is the exchange's
 * credential field in upper snake case (apiKey → API_KEY) or plain upper case (APIKEY). One module,
 * so every command reads the same names. Values are never logged.
 */
import { EXCHANGES } from './registry.js';
import { EXCHANGE_IDS, type Credentials, type ExchangeId } from './types.js';

/** The variable names of one credential field, the documented one first. */
export function envNames(exchange: string, field: string): string[] {
  const ex = exchange.toUpperCase();
  const snake = field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  const upper = field.toUpperCase();
  return snake === upper ? [`TICKTAPE_${ex}_${snake}`] : [`TICKTAPE_${ex}_${snake}`, `TICKTAPE_${ex}_${upper}`];
}

/** The fields of `fields` that are set in the environment (possibly not all of them). */
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

/** Every exchange whose credential fields are all set in the environment (the simulator and the replay accept them). */
export function completeCredentialsFromEnv(env: NodeJS.ProcessEnv): Partial<Record<ExchangeId, Credentials[]>> {
  const out: Partial<Record<ExchangeId, Credentials[]>> = {};
  for (const id of EXCHANGE_IDS) {
    const fields = EXCHANGES[id]?.client?.credentialFields ?? [];
    if (fields.length === 0) continue;
    const creds = credentialsFromEnv(id, fields, env);
    if (Object.keys(creds).length === fields.length) out[id] = [creds];
  }
  return out;
}

/** Every credential variable ticktape reads (documented names and their plain upper-case aliases). */
export function credentialEnvNames(): string[] {
  return EXCHANGE_IDS.flatMap((id) => (EXCHANGES[id]?.client?.credentialFields ?? []).flatMap((f) => envNames(id, f)));
}

/** The documented variable names of an exchange's credentials (TICKTAPE_COINSTORE_API_KEY, ...). */
export function documentedCredentialEnvNames(id: ExchangeId): string[] {
  return (EXCHANGES[id]?.client?.credentialFields ?? []).map((f) => envNames(id, f)[0]);
}
