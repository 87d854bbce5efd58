import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnsMarkdown } from '../../schemas/columns-doc.js';
import { TABLES } from '../../schemas/tables.js';

const doc = readFileSync(new URL('../../ARCHITECTURE.md', import.meta.url), 'utf8');

describe('ARCHITECTURE.md', () => {
  it('documents every column exactly as schemas/tables.ts defines it (run `node scripts/columns-doc.mjs --write` after a change)', () => {
    const section = /<!-- columns:begin -->\n([\s\S]*)<!-- columns:end -->/.exec(doc)?.[1];
    expect(section).toBe(columnsMarkdown());
    for (const [table, cols] of Object.entries(TABLES)) {
      for (const c of cols) expect(section).toContain(`| \`${c.name}\` |`);
      expect(section).toContain(`#### \`${table}\``);
    }
  });
});
