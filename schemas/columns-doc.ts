/** The Markdown column reference of every table (ARCHITECTURE.md's "Tables and columns"). */
import { SORT_KEYS, TABLES, type TableName } from './tables.js';

export function columnsMarkdown(): string {
  let out = '';
  for (const [table, cols] of Object.entries(TABLES)) {
    out += `\n#### \`${table}\`\n\nSorted by ${SORT_KEYS[table as TableName].map((k) => `\`${k}\``).join(', ')}.\n\n| column | type | null | meaning |\n|---|---|---|---|\n`;
    for (const c of cols) out += `| \`${c.name}\` | ${c.type} | ${c.nullable ? 'yes' : 'no'} | ${c.doc.replace(/\|/g, '\\|')} |\n`;
  }
  out += '\nEvery table also has the hive partition keys `exchange` (folder) and `date` (DATE: the UTC day of `recv_ns`, or of `start_ns` for gaps).\n';
  return out;
}
