/** Option parsers shared by commands. */
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_DATA_DIR, existingDataFolder } from '../store/open-data.js';

export { DEFAULT_DATA_DIR };

/**
 * The data folder of a command that reads one: it must exist, or a mistyped --data would read as
 * an empty recording without a word. Exit 4 (no data) with what to do (store/open-data.ts).
 */
export function existingDataDir(dir: string | undefined): string {
  return existingDataFolder(dir ?? DEFAULT_DATA_DIR);
}

export function intArg(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The warning logged when a server is told to listen beyond loopback: none of them authenticates. */
export function exposureWarning(what: string, host: string): string | null {
  if (isLoopbackHost(host)) return null;
  return `${what} listens on ${host}, reachable from other machines, without authentication: allow only trusted addresses (firewall, reverse proxy or an SSH tunnel)`;
}

/**
 * An option whose value the command's schema validates (commander passes the text through), with
 * its default shown in --help as the value it is (`(default: 8001)`).
 */
export function withDefault(flags: string, description: string, value: number | string | boolean): Option {
  return new Option(flags, description).default(value);
}
