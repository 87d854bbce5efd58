/**
 * Validates a command's options against its schema (replay/options-schema.ts, ...): the CLI passes
 * commander's values and names options as flags (`--grace-ms`), a library caller passes its object
 * and sees its own names (`graceMs`). Either way a wrong value is one TicktapeError that names every
 * bad option, says what it must be and what it was — TT_CONFIG_INVALID unless the field stands for
 * another code (TT_BAD_TIME, TT_UNKNOWN_EXCHANGE).
 */
import type { z } from 'zod';
import type { ErrorCode } from './error-codes.js';
import { TicktapeError } from './errors.js';
import { closest } from './option-fields.js';

/** How options are named in messages: command-line flags or the library's option keys. */
export type OptionNaming = 'flag' | 'option';

/** `graceMs` → `--grace-ms` (flags), `graceMs` (options). */
export function optionName(key: string, naming: OptionNaming): string {
  return naming === 'flag' ? `--${key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}` : key;
}

function issueName(path: ReadonlyArray<string | number>, naming: OptionNaming): string {
  if (path.length === 0) return '';
  const [head, ...rest] = path;
  return optionName(String(head), naming) + rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

export function parseOptions<S extends z.ZodTypeAny>(schema: S, input: unknown, naming: OptionNaming = 'option'): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  let code: ErrorCode = 'TT_CONFIG_INVALID';
  const known = knownKeys(schema);
  const lines = parsed.error.issues.map((issue) => {
    const params = (issue as { params?: { code?: ErrorCode } }).params;
    if (params?.code && code === 'TT_CONFIG_INVALID') code = params.code;
    const name = issueName(issue.path, naming);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((k) => {
          const near = closest(k, known);
          return `unknown option ${optionName(k, naming)}${near ? ` (did you mean ${optionName(near, naming)}?)` : ''}`;
        })
        .join('; ');
    }
    // a message may name another option as {{key}}, written the caller's way
    const message = issue.message.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => optionName(key, naming));
    return name ? `${name} ${message}` : message;
  });
  return failWith(code, lines);
}

function failWith(code: ErrorCode, lines: string[]): never {
  throw new TicktapeError(code, lines.join('; '), { issues: lines });
}

function knownKeys(schema: z.ZodTypeAny): string[] {
  let s: unknown = schema;
  // unwrap effects (refine/transform) down to the object
  for (let i = 0; i < 5 && s && typeof s === 'object'; i++) {
    const def = (s as { _def?: { schema?: unknown; shape?: () => Record<string, unknown> } })._def;
    if (def?.shape) return Object.keys(def.shape());
    s = def?.schema;
  }
  return [];
}
