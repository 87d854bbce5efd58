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
    /** Config file (JSON or YAML); the other options override its fields. */
    config: textField().optional(),
    /** Quick form: the exchange to record (with `channels`). */
    exchange: textField().optional(),
    /** Quick form: the channels to record, e.g. ['btcusdt@trade', 'btcusdt@depth@20']. */
    channels: listField().optional(),
    /** Quick form: the exchange endpoint's URL (default: production). */
    url: textField().optional(),
    /** Data folder (default ./data). */
    data: textField().optional(),
    /** Recorder instance id (default: host name + a suffix kept in <data>/instance-id). */
    instance: textField().optional(),
    /** host:port of /health and /metrics, or "off" (default 127.0.0.1:9100). */
    http: textField().optional(),
    /** Start the built-in simulator in-process and record all four exchanges from it. */
    simulate: boolField().optional(),
    /** Port of the in-process simulator (default: any free port). */
    simulatePort: portField().optional(),
    /** Simulator seed. */
    seed: intField({ min: 0 }).optional(),
    /** Simulator steps per second, or 'max': as fast as the recorder reads. */
    rate: rateField().optional(),
    /** fdatasync cadence, ms: the power-loss bound (default 200). */
    fsyncIntervalMs: intField({ min: 1, max: MAX_FSYNC_INTERVAL_MS, unit: 'ms' }).optional(),
    /** Seal closed journal segments this often, ms (default 3600000). */
    sealIntervalMs: intField({ min: MIN_SEAL_INTERVAL_MS, max: MAX_SEAL_INTERVAL_MS, unit: 'ms' }).optional(),
    /** Minimum spacing of connects to one exchange, ms (default 100). */
    staggerMs: intField({ min: 0, max: MAX_STAGGER_MS, unit: 'ms' }).optional(),
  })
  .strict();

/** `ticktape record`'s flags, camel-cased and validated: what `recordFlagsSchema` returns. */
export type ConfigFlags = z.output<typeof recordFlagsSchema>;

/** Validated `ConfigFlags` from `ticktape record`'s flags (naming 'flag') or a library caller's object. */
export function parseRecordFlags(input: ConfigFlags | Record<string, unknown>, naming: OptionNaming = 'option'): ConfigFlags {
  const o = parseOptions(recordFlagsSchema, input, naming);
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ConfigFlags;
}
