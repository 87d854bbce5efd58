/** The README lists the credentials the simulator accepts out of the box: every exchange's demo set, value for value. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXCHANGES } from '../../exchanges/registry.js';
import { ROOT } from '../recorder/harness.js';

describe('README: credentials accepted out of the box', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('**Credentials accepted out of the box**'), readme.indexOf('## Configuration reference'));
  for (const mod of Object.values(EXCHANGES)) {
    it(`${mod.id}: every demo field and value is in the table`, () => {
      const row = table.split('\n').find((l) => l.startsWith(`| ${mod.displayName.split(' ')[0]} |`));
      expect(row, mod.id).toBeDefined();
      for (const [field, value] of Object.entries(mod.demoCredentials)) {
        expect(row).toContain(`\`${field}\``);
        expect(row).toContain(`\`${value}\``);
      }
    });
  }
});
