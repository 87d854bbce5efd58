/**
 * Starts a server listening, with every way that can fail turned into an error a user can act on:
 * a port out of range, in use, reserved (below 1024 without the right), or an address that is not
 * this machine's. Shared by the simulator, the replay and the recorder's HTTP endpoint, so each names
 * the option to change (`--port`, `--http`, ...).
 */
import type { Server } from 'node:net';
import { TicktapeError } from './errors.js';
import { optionName, type OptionNaming } from './parse-options.js';

export const MAX_PORT = 65_535;

/** What the error message calls the server and the option that sets its address. */
export interface ListenWho {
  /** "the replay server", "the simulator", "the HTTP endpoint (/health, /metrics)". */
  what: string;
  /** The option a user changes: "--port", "--http host:port (or http: in the config)". */
  option: string;
  /** How to pick another value with that option, e.g. "--port 0 for any free port". */
  alternative?: string;
}

/**
 * What a listen error names for a server whose port is the option `key` (`port`, `mqttPort`), in the
 * caller's spelling: `--port` for the CLI, `port` for the library. `orOff` adds "or off" for a
 * listener that can be switched off.
 */
export function portListener(what: string, key: string, naming: OptionNaming, orOff = false): ListenWho {
  const option = optionName(key, naming);
  return { what, option, alternative: `${option} 0 for any free port${orOff ? ', or off' : ''}` };
}

/** A port number the OS accepts (0 = any free port), or a TicktapeError naming the option. */
function checkPort(port: unknown, option: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > MAX_PORT) {
    throw new TicktapeError('TT_CONFIG_INVALID', `${option}: ${String(port)} is not a port: use 1-${MAX_PORT}, or 0 for any free port.`, { option, port });
  }
  return port;
}

/** The listen error as a TicktapeError that says what to do. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number, who: ListenWho): TicktapeError {
  const at = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const other = `pick another with ${who.option}${who.alternative ? `, or ${who.alternative}` : ''}`;
  let why: string;
  switch (err.code) {
    case 'EADDRINUSE':
      why = `${at} is in use (another ticktape, or another program): ${other}`;
      break;
    case 'EACCES':
      why = `${at} is reserved (ports below 1024 need root or CAP_NET_BIND_SERVICE): ${other}`;
      break;
    case 'EADDRNOTAVAIL':
      why = `${host} is not an address of this machine: use one of its addresses (127.0.0.1 for this machine only, 0.0.0.0 for all)`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      why = `the host name ${host} cannot be resolved: use an IP address (127.0.0.1 for this machine only)`;
      break;
    default:
      why = `cannot listen on ${at} (${err.code ?? err.message}): ${other}`;
  }
  return new TicktapeError('TT_ADDRESS_IN_USE', `${who.what} cannot start: ${why}.`, { host, port, errno: err.code }, { cause: err });
}

/** `server.listen(port, host)`, resolved once listening; rejects with a TicktapeError. */
export function listenOn(server: Server, host: string, port: number, who: ListenWho): Promise<void> {
  checkPort(port, who.option);
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port, who));
    server.once('error', onError);
    try {
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    } catch (err) {
      server.off('error', onError);
      reject(err instanceof TicktapeError ? err : listenError(err as NodeJS.ErrnoException, host, port, who));
    }
  });
}
