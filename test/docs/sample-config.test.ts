/**
 * deploy/ticktape.sample.yaml, the config file the README points to, is valid for the recorder's
 * config schema, and every value it shows is the default it claims to be: removing any one of them
 * leaves the recorder's resolved configuration unchanged. `data` and `exchanges` are the two
 * exceptions, and the file's header names them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildConfig, loadConfigFile } from '../../recorder/config.js';
import { configFileSchema, type ConfigFile } from '../../recorder/config-schema.js';
import { ROOT } from '../hardening/helpers.js';

const SAMPLE = path.join(ROOT, 'deploy/ticktape.sample.yaml');
/** Shown as examples, not defaults: where to write and what to record. */
const EXAMPLES = ['data', 'exchanges'];

/** Dotted paths of the leaves of a parsed YAML document (arrays count as leaves). */
function leaves(doc: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(doc).flatMap(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? leaves(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

function without(doc: Record<string, unknown>, dotted: string): Record<string, unknown> {
  const copy = structuredClone(doc);
  const keys = dotted.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  delete at[keys.at(-1)!];
  return copy;
}

const resolve = (file: ConfigFile) => buildConfig(file, SAMPLE, { data: path.join(os.tmpdir(), 'tt-sample-data') }, {});

describe('deploy/ticktape.sample.yaml', () => {
  const text = fs.readFileSync(SAMPLE, 'utf8');
  const doc = YAML.parse(text) as Record<string, unknown>;

  it('the README points to it', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('`deploy/ticktape.sample.yaml`');
  });

  it('parses with the recorder config schema and builds a configuration', () => {
    const { config } = loadConfigFile(SAMPLE);
    expect(configFileSchema.safeParse(doc).success).toBe(true);
    expect(resolve(config).exchanges.length).toBeGreaterThan(0);
  });

  it('its header names the values that are not defaults', () => {
    const header = text
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .slice(0, 4)
      .join(' ');
    expect(header).toMatch(/values shown are the defaults/);
    for (const k of EXAMPLES) expect(header).toContain(`\`${k}\``);
  });

  const shown = leaves(doc).filter((p) => !EXAMPLES.includes(p.split('.')[0]!));
  it('shows some defaults', () => expect(shown.length).toBeGreaterThan(10));
  for (const p of shown) {
    it(`${p}: the value shown is the default`, () => {
      const full = resolve(configFileSchema.parse(doc));
      const dflt = resolve(configFileSchema.parse(without(doc, p)));
      expect(full, `${p} in the sample differs from the recorder's default`).toEqual(dflt);
    });
  }
});
