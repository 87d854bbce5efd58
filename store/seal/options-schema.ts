/**
 * The options of sealing a data folder, `ticktape seal`'s flags and `Store.seal()`'s options alike:
 * one schema, so `--zstd-level 0` and `{ zstdLevel: 0 }` are refused with the same bound, each
 * named the caller's way (parse-options.ts).
 */
import { z } from 'zod';
import { boolField, textField } from '../../core/option-fields.js';
import { optionName, parseOptions, type OptionNaming } from '../../core/parse-options.js';
import { safeInstanceId } from '../../core/safe-path.js';
import { zstdLevelProblem } from './compact.js';

const zstdLevelField = () =>
  z.unknown().transform((v, ctx): number => {
    const problem = zstdLevelProblem(v);
    if (problem === null) return Number(v);
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    return z.NEVER;
  });

const sealOptionsSchema = z
  .object({
    /** Then merge each finished day's files into one file per instance (days before today, UTC). */
    compact: boolField().optional(),
    /** With compact: include today (rewritten again at each later compaction). */
    compactToday: boolField().optional(),
    /** With compact: zstd level 1-22 of the day files, every table (default 16 for raw, 9 for the other tables; higher is smaller and slower). */
    zstdLevel: zstdLevelField().optional(),
    /** Only this recorder instance. */
    instance: textField().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.zstdLevel !== undefined && !o.compact) ctx.addIssue({ code: z.ZodIssueCode.custom, message: '{{zstdLevel}} sets the level of compaction: add {{compact}} (ticktape seal --compact --zstd-level N).' });
  });

/** What to seal and how: `ticktape seal`'s flags camel-cased, validated. */
export type SealCommandOptions = z.output<typeof sealOptionsSchema>;

/** Validated seal options from `ticktape seal`'s flags (naming 'flag') or a library caller's object. */
export function parseSealOptions(input: SealCommandOptions | Record<string, unknown>, naming: OptionNaming = 'option'): SealCommandOptions {
  const o = parseOptions(sealOptionsSchema, input, naming);
  // The id names a folder under journal/: a value like ../x would read and write outside the data folder.
  if (o.instance !== undefined) safeInstanceId(o.instance, optionName('instance', naming));
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as SealCommandOptions;
}
