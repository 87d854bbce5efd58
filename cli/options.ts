/** Option parsers shared by commands. */
import fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { TicktapeError } from '../core/errors.js';
import { DEFAULT_DATA_DIR, existingDataFolder, writableDataFolder } from '../store/open-data.js';

export { DEFAULT_DATA_DIR };

export function resolveDataDir(dir: string | undefined): string {
  return writableDataFolder(dir ?? DEFAULT_DATA_DIR);
}

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

export function listArg(value: string, previous: string[] = []): string[] {
  return previous.concat(value.split(',').map((s) => s.trim()).filter(Boolean));
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The warning logged when a server is told to listen beyond loopback: none of them authenticates. */
export function exposureWarning(what: string, host: string): string | null {
  if (isLoopbackHost(host)) return null;
  return `${what} listens on ${host}, reachable from other machines, without authentication: allow only trusted addresses (firewall, reverse proxy or an SSH tunnel)`;
}

/** `--mqtt-port`: a port, 0 for any free one, or `off`. */
export function mqttPortArg(value: string): number | 'off' {
  if (value === 'off') return 'off';
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--mqtt-port must be a port (0 for any free one, up to 65535) or "off", got "${value}"`);
  return n;
}

/**
 * The MQTT-over-TCP port of `simulate` and `replay`: as given, else the HTTP port + 1 (9002, 8002),
 * or any free port when the HTTP port is 0 (a test wants two free ports, not port 1). null: none.
 */
export function resolveMqttPort(httpPort: number, flag: number | 'off' | undefined): number | null {
  if (flag === 'off') return null;
  if (flag !== undefined) return flag;
  if (httpPort === 0) return 0;
  if (httpPort + 1 > 65535) {
    throw new TicktapeError('TT_CONFIG_INVALID', `--port ${httpPort} leaves no port above it for MQTT over TCP: give --mqtt-port <port> (0 for any free one) or --mqtt-port off.`, { port: httpPort });
  }
  return httpPort + 1;
}

/** `--tls-cert` and `--tls-key`: both or neither, read once at start. */
export function readTlsFiles(cert: string | undefined, key: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new TicktapeError('TT_CONFIG_INVALID', `TLS needs both --tls-cert <file> and --tls-key <file> (PEM); ${cert === undefined ? '--tls-cert' : '--tls-key'} is missing.`);
  }
  const read = (file: string, flag: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new TicktapeError('TT_CONFIG_INVALID', `Cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Give a readable PEM file.`, { file });
    }
  };
  return { cert: read(cert, '--tls-cert'), key: read(key, '--tls-key') };
}
