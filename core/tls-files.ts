/** `tlsCert` and `tlsKey` of `simulate` and `replay`: both or neither, PEM files read once at start. */
import fs from 'node:fs';
import { TicktapeError } from './errors.js';
import { optionName, type OptionNaming } from './parse-options.js';

export function readTlsFiles(cert: string | undefined, key: string | undefined, naming: OptionNaming = 'flag'): { cert: Buffer; key: Buffer } | undefined {
  if (cert === undefined && key === undefined) return undefined;
  const certName = optionName('tlsCert', naming);
  const keyName = optionName('tlsKey', naming);
  if (cert === undefined || key === undefined) {
    throw new TicktapeError('TT_CONFIG_INVALID', `TLS needs both ${certName} <file> and ${keyName} <file> (PEM); ${cert === undefined ? certName : keyName} is missing.`);
  }
  const read = (file: string, name: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new TicktapeError('TT_CONFIG_INVALID', `Cannot read ${name} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Give a readable PEM file.`, { file });
    }
  };
  return { cert: read(cert, certName), key: read(key, keyName) };
}
