// Prints the Markdown column reference of every table from schemas/tables.ts (run after build).
// With --write, replaces the section between the columns markers in ARCHITECTURE.md.
// A test (test/docs/architecture.test.ts) keeps the document and the code in step.
import { readFileSync, writeFileSync } from 'node:fs';
import { columnsMarkdown } from '../dist/schemas/columns-doc.js';

const md = columnsMarkdown();
if (process.argv.includes('--write')) {
  const file = new URL('../ARCHITECTURE.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const next = doc.replace(/<!-- columns:begin -->[\s\S]*<!-- columns:end -->/, `<!-- columns:begin -->\n${md}<!-- columns:end -->`);
  writeFileSync(file, next);
} else {
  process.stdout.write(md);
}
