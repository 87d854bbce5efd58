/**
 * `ticktape record`'s flags (the quick form, and overrides of a config file), validated with the
 * same bounds as the config file's fields (config-schema.ts), so `--seal-interval-ms 0` is refused
 * as `seal: { intervalMs: 0 }` is. A library `startRecorder` takes the same names.
 */
import { z } from 'zod';
import { boolField, intField, listField, portField, shown, textField } from '../core/option-fields.js';
import { parseOptions, type OptionNaming } from '../core/parse-options.js';
import { MAX_SIM_RATE } from '../simulator/pacer.js';
import { MAX_FSYNC_INTERVAL_MS, MAX_SEAL_INTERVAL_MS, MAX_STAGGER_MS, MIN_SEAL_INTERVAL_MS } from './config-schema.js';
import type { ConfigFlags } from './config.js';

const rateField = () =>
  z.unknown().transform((v, ctx): number | 'max' => {
    if (v === 'max') return 'max';
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n) || n <= 0 || n > MAX_SIM_RATE) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be the simulator's steps per second, above 0 and at most ${MAX_SIM_RATE}, or "max", got ${shown(v)}` });
      return z.NEVER;
    }
    return n;
  });

const recordFlagsSchema = z
  .object({
    config: textField().optional(),
    exchange: textField().optional(),
    channels: listField().optional(),
    url: textField().optional(),
    data: textField().optional(),
    instance: textField().optional(),
    http: textField().optional(),
    simulate: boolField().optional(),
    simulatePort: portField().optional(),
    seed: intField({ min: 0 }).optional(),
    rate: rateField().optional(),
    fsyncIntervalMs: intField({ min: 1, max: MAX_FSYNC_INTERVAL_MS, unit: 'ms' }).optional(),
    sealIntervalMs: intField({ min: MIN_SEAL_INTERVAL_MS, max: MAX_SEAL_INTERVAL_MS, unit: 'ms' }).optional(),
    staggerMs: intField({ min: 0, max: MAX_STAGGER_MS, unit: 'ms' }).optional(),
  })
  .strict();

/** Validated `ConfigFlags` from `ticktape record`'s flags (naming 'flag') or a library caller's object. */
export function parseRecordFlags(input: z.input<typeof recordFlagsSchema> | Record<string, unknown>, naming: OptionNaming = 'option'): ConfigFlags {
  const o = parseOptions(recordFlagsSchema, input, naming);
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ConfigFlags;
}
