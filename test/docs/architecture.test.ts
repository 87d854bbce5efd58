import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnsMarkdown } from '../../schemas/columns-doc.js';
import { TABLES } from '../../schemas/tables.js';
import { ERROR_CODES, EXIT, EXIT_CODES, errorCodesMarkdown, exitCodesHelp, exitCodesMarkdown, type ErrorCode } from '../../core/error-codes.js';
import { exitCodeFor, TicktapeError } from '../../core/errors.js';

const doc = readFileSync(new URL('../../ARCHITECTURE.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function section(text: string, marker: string): string | undefined {
  return new RegExp(`<!-- ${marker}:begin -->\\n([\\s\\S]*)<!-- ${marker}:end -->`).exec(text)?.[1];
}

describe('ARCHITECTURE.md', () => {
  it('documents every column exactly as schemas/tables.ts defines it (run `node scripts/columns-doc.mjs --write` after a change)', () => {
    const cols = section(doc, 'columns');
    expect(cols).toBe(columnsMarkdown());
    for (const [table, columns] of Object.entries(TABLES)) {
      for (const c of columns) expect(cols).toContain(`| \`${c.name}\` |`);
      expect(cols).toContain(`#### \`${table}\``);
    }
  });

  it('documents every error code with the exit code exitCodeFor gives it (run `node scripts/errors-doc.mjs --write` after a change)', () => {
    const errors = section(doc, 'errors');
    expect(errors).toBe(errorCodesMarkdown());
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const row = new RegExp(`^\\| \`${code}\` \\| (\\d) \\|`, 'm').exec(errors ?? '');
      expect(row, code).not.toBeNull();
      expect(Number(row![1]), code).toBe(exitCodeFor(new TicktapeError(code, 'x')));
    }
  });
});

describe('exit codes', () => {
  it('an SQL error exits 2, as documented', () => {
    expect(exitCodeFor(new TicktapeError('TT_QUERY', 'x'))).toBe(EXIT.USAGE);
    expect(exitCodeFor(new Error('not ours'))).toBe(EXIT.FAILURE);
  });

  it('README lists every exit code with its meaning, as --help does', () => {
    expect(section(readme, 'exit-codes')).toBe(exitCodesMarkdown());
    const help = exitCodesHelp();
    for (const e of EXIT_CODES) expect(help).toContain(`  ${e.exit}  ${e.meaning}`);
  });
});
