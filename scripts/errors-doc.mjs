// Prints the Markdown error-code table from core/error-codes.ts (run after build). With --write,
// replaces the section between the errors markers in ARCHITECTURE.md and the exit-code table between
// the exit-codes markers in README.md. A test (test/docs/architecture.test.ts) keeps them in step.
import { readFileSync, writeFileSync } from 'node:fs';
import { errorCodesMarkdown, exitCodesMarkdown } from '../dist/core/error-codes.js';

function replaceBetween(file, marker, md) {
  const url = new URL(`../${file}`, import.meta.url);
  const doc = readFileSync(url, 'utf8');
  const re = new RegExp(`<!-- ${marker}:begin -->[\\s\\S]*<!-- ${marker}:end -->`);
  if (!re.test(doc)) throw new Error(`${file} has no ${marker} markers`);
  writeFileSync(url, doc.replace(re, `<!-- ${marker}:begin -->\n${md}<!-- ${marker}:end -->`));
}

if (process.argv.includes('--write')) {
  replaceBetween('ARCHITECTURE.md', 'errors', errorCodesMarkdown());
  replaceBetween('README.md', 'exit-codes', exitCodesMarkdown());
} else {
  process.stdout.write(errorCodesMarkdown());
}
