/**
 * Warnings for TICKTAPE_* variables that look like a misspelling of one ticktape reads (a credential
 * such as TICKTAPE_COINSTORE_SECRET_KEY for TICKTAPE_COINSTORE_API_KEY, or TICKTAPE_LOG_LEVL): a
 * credential that silently does not arrive makes a private channel fail far from the cause.
 * Variables that are near nothing ticktape reads are left alone (other tools may share the prefix).
 */
import { CONTROL_TOKEN_ENV } from '../core/control-guard.js';
import { closest, editDistance } from '../core/option-fields.js';
import { credentialEnvNames, documentedCredentialEnvNames } from '../exchanges/credentials-env.js';
import { EXCHANGE_IDS } from '../exchanges/types.js';

/** The variables ticktape reads besides credentials. */
const GENERAL_ENV_VARS = [CONTROL_TOKEN_ENV, 'TICKTAPE_LOG_LEVEL', 'TICKTAPE_CACHE_DIR', 'TICKTAPE_SEAL_PARENT_PID', 'TICKTAPE_DUCKDB_MEMORY', 'TICKTAPE_TEST_STRICT', 'TICKTAPE_SOAK_SECONDS', 'TICKTAPE_SOAK_KEEP'];

/** Settings of the benchmarks (`npm run bench`) and of the test suite: their own, never a misspelling. */
const OWN_PREFIXES = ['TICKTAPE_BENCH_', 'TICKTAPE_TEST_'];

export function envWarnings(env: NodeJS.ProcessEnv): string[] {
  const known = new Set([...GENERAL_ENV_VARS, ...credentialEnvNames()]);
  const out: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('TICKTAPE_') || known.has(name) || OWN_PREFIXES.some((p) => name.startsWith(p))) continue;
    // TICKTAPE_<EXCHANGE>_...: the exchange part, allowing a typo in it (TICKTAPE_COINSTOR_API_KEY)
    const part = name.slice('TICKTAPE_'.length).split('_')[0].toLowerCase();
    const exchange = EXCHANGE_IDS.find((id) => id === part) ?? EXCHANGE_IDS.find((id) => editDistance(id, part) <= 2);
    if (exchange) {
      const names = documentedCredentialEnvNames(exchange);
      const near = closest(name, names) ?? names.reduce((a, b) => (editDistance(name, a) <= editDistance(name, b) ? a : b));
      out.push(`${name} is not a variable ticktape reads: did you mean ${near}? (${exchange} reads ${names.join(', ')})`);
      continue;
    }
    const near = closest(name, GENERAL_ENV_VARS);
    if (near) out.push(`${name} is not a variable ticktape reads: did you mean ${near}?`);
  }
  return out;
}
