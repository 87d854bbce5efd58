/**
 * The one table of error codes: each code's process exit code and what it means. `exitCodeFor`
 * (errors.ts), the CLI's `--help` exit-code list and the "Error codes" table of ARCHITECTURE.md are
 * generated from it (a test keeps the document in step: `node scripts/errors-doc.mjs --write`).
 */

/** Process exit codes of the CLI, with their meaning (README "Commands and exit codes", `ticktape --help`). */
export const EXIT_CODES = [
  { exit: 0, name: 'OK', meaning: 'success' },
  { exit: 1, name: 'FAILURE', meaning: 'runtime failure (I/O, network, internal)' },
  { exit: 2, name: 'USAGE', meaning: 'usage error: bad flag, bad config, unknown exchange, channel or script, SQL error, port in use' },
  { exit: 3, name: 'DAMAGE', meaning: 'damaged data found (verify)' },
  { exit: 4, name: 'NO_DATA', meaning: 'no data matched: nothing recorded where --data points, or a filter that selects nothing' },
] as const;

type ExitName = (typeof EXIT_CODES)[number]['name'];

/** `EXIT.USAGE` → 2, and so on. */
export const EXIT = Object.freeze(Object.fromEntries(EXIT_CODES.map((e) => [e.name, e.exit]))) as { readonly [K in ExitName]: Extract<(typeof EXIT_CODES)[number], { name: K }>['exit'] };

interface CodeInfo {
  exit: ExitName;
  meaning: string;
}

/** Every code ticktape raises on purpose, in the order the documentation lists them. */
export const ERROR_CODES = {
  TT_USAGE: { exit: 'USAGE', meaning: 'a command line that cannot be parsed: unknown command or option, missing argument' },
  TT_CONFIG_INVALID: { exit: 'USAGE', meaning: 'a config field, flag or option value is wrong (the message names it and the accepted values)' },
  TT_CONFIG_UNREADABLE: { exit: 'USAGE', meaning: 'the config file cannot be read or parsed (JSON or YAML)' },
  TT_UNKNOWN_EXCHANGE: { exit: 'USAGE', meaning: 'not one of coinstore, coinsuper, nexus, coinceres' },
  TT_UNKNOWN_CHANNEL: { exit: 'USAGE', meaning: "a channel string the exchange's grammar does not accept (the valid forms are listed)" },
  TT_CREDENTIALS_MISSING: { exit: 'USAGE', meaning: 'a private channel without credentials (config or `TICKTAPE_<EXCHANGE>_<FIELD>`)' },
  TT_BAD_TIME: { exit: 'USAGE', meaning: 'a time that is neither ISO 8601 nor epoch s/ms/ns, or a range that ends before it starts' },
  TT_SCRIPT_UNKNOWN: { exit: 'USAGE', meaning: 'no such analysis script' },
  TT_QUERY: { exit: 'USAGE', meaning: "an SQL error (the message is DuckDB's)" },
  TT_ADDRESS_IN_USE: { exit: 'USAGE', meaning: "a server cannot listen on its address: the port is taken, reserved or the address is not this machine's" },
  TT_PATH_ESCAPE: { exit: 'USAGE', meaning: 'a value would make ticktape read or write outside its data folder' },
  TT_DATA_DIR: { exit: 'FAILURE', meaning: 'the data folder is not writable, or is a file' },
  TT_JOURNAL_LOCKED: { exit: 'FAILURE', meaning: "another live process owns this instance's journal" },
  TT_JOURNAL_IO: { exit: 'FAILURE', meaning: 'journal I/O failed (the writer keeps running; losses become gaps)' },
  TT_DISK_FULL: { exit: 'FAILURE', meaning: 'the disk is full (the writer keeps running; losses become gaps)' },
  TT_PROTOCOL: { exit: 'FAILURE', meaning: 'a peer broke its protocol' },
  TT_JOURNAL_CORRUPT: { exit: 'DAMAGE', meaning: 'a journal segment is damaged (verify)' },
  TT_PARTITION_DAMAGED: { exit: 'DAMAGE', meaning: 'a sealed partition is damaged (verify)' },
  TT_SEAL_VERIFY: { exit: 'DAMAGE', meaning: 'a sealed file does not match its journal' },
  TT_STORE_DENIED: { exit: 'USAGE', meaning: 'the object store refused the credentials, or there is no such bucket' },
  TT_STORE_UNREACHABLE: { exit: 'FAILURE', meaning: "the object store did not answer (after the SDK's retries); nothing local is deleted" },
  TT_STORE_CONFLICT: { exit: 'DAMAGE', meaning: 'an object of that name already holds other bytes: never overwritten' },
  TT_NO_DATA: { exit: 'NO_DATA', meaning: 'nothing to read where `--data` points, or the filter (exchange, symbol, time) matches nothing: the message lists what the data holds' },
  TT_INTERNAL: { exit: 'FAILURE', meaning: 'a bug: please report it' },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The Markdown table of ARCHITECTURE.md's "Error codes" section. */
export function errorCodesMarkdown(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, info]) => `| \`${code}\` | ${EXIT[info.exit]} | ${info.meaning.replace(/\|/g, '\\|')} |`);
  return `| code | exit | meaning |\n|---|---|---|\n${rows.join('\n')}\n`;
}

/** The Markdown table of exit codes (README "Commands and exit codes"). */
export function exitCodesMarkdown(): string {
  return `| exit code | meaning |\n|---|---|\n${EXIT_CODES.map((e) => `| ${e.exit} | ${e.meaning} |`).join('\n')}\n`;
}

/** The exit-code list of `--help`. */
export function exitCodesHelp(): string {
  return `Exit codes:\n${EXIT_CODES.map((e) => `  ${e.exit}  ${e.meaning}`).join('\n')}`;
}
