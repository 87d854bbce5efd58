/** `ticktape ls`: inventory of a data folder — the library's `Store.ls()` (api/store.ts), printed as a table or JSON. */
import type { Command } from 'commander';
import { z } from 'zod';
import { openTapeStore, type BucketInventory, type Inventory } from '../../api/store.js';
import { formatTable } from '../../store/duck/index.js';
import { DEFAULT_DATA_DIR } from '../options.js';
import { addStoreOptions, DATA_HELP } from '../data-source.js';
import { storeArgsOf } from '../../store/open-data-arg.js';
import { choiceField, numberField, textField } from '../../core/option-fields.js';
import { parseOptions } from '../../core/parse-options.js';

const LS_FORMATS = ['table', 'json'] as const;

/** `ticktape ls`'s flags, validated like every command's (a wrong one: TT_CONFIG_INVALID, exit 2, named). */
const lsOptionsSchema = z
  .object({
    data: textField(),
    format: choiceField(LS_FORMATS).default('table'),
    cacheGb: numberField({ min: 0, exclusiveMin: true, unit: 'GB' }).optional(),
    config: textField().optional(),
  })
  .strict();

function iso(ns: bigint | null): string {
  return ns === null ? '' : new Date(Number(ns / 1_000_000n)).toISOString();
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function renderInventory(inv: Inventory): string {
  const parts: string[] = [];
  if (inv.streams.length === 0) parts.push('No data.\n');
  else {
    parts.push(
      formatTable(
        ['exchange', 'stream', 'first', 'last', 'frames', 'records', 'gaps'],
        inv.streams.map((s) => [s.exchange, s.stream || "''", iso(s.firstNs), iso(s.lastNs), String(s.frames), String(s.records), String(s.gaps)]),
        [false, false, false, false, true, true, true],
      ),
    );
  }
  if (inv.exchanges.length) {
    parts.push(
      '\nSealed partitions:\n' +
        formatTable(
          ['exchange', 'files', 'bytes', 'raw bytes'],
          inv.exchanges.map((e) => [e.exchange, String(e.files), bytes(e.bytes), bytes(e.rawBytes)]),
          [false, true, true, true],
        ),
    );
  }
  if (inv.journals.length) {
    parts.push(
      '\nJournals pending seal:\n' +
        formatTable(
          ['instance', 'closed', 'open', 'bytes'],
          inv.journals.map((j) => [j.instance, String(j.closedSegments), String(j.openSegments), bytes(j.bytes)]),
          [false, true, true, true],
        ),
    );
  }
  return parts.join('');
}

export function registerLs(program: Command): void {
  const cmd = program
    .command('ls')
    .description('Inventory: exchanges, streams, time ranges, frame counts, gaps, bytes on disk, journals pending seal')
    .option('--data <dir>', DATA_HELP, DEFAULT_DATA_DIR)
    .option('--format <format>', `${LS_FORMATS.join(' | ')} (default table)`)
    .addHelpText('after', "\nExamples:\n  ticktape ls --data ./data\n  ticktape ls --data s3://bucket/ticktape\n  ticktape ls --format json | jq '.streams[] | select(.gaps > 0)'");
  addStoreOptions(cmd).action(async (flags: Record<string, unknown>) => {
    const opts = parseOptions(lsOptionsSchema, flags, 'flag');
    const store = await openTapeStore(opts.data, storeArgsOf(opts));
    let listed: Inventory | BucketInventory;
    try {
      listed = await store.ls();
    } finally {
      store.close();
    }
    // A bucket: also every recorder instance that wrote into it, from the manifests.
    const { url: _url, ...inv } = listed as BucketInventory;
    const instances = 'url' in listed ? listed.instances : undefined;
    if (opts.format === 'json') {
      const json = JSON.stringify(
        {
          ...inv,
          streams: inv.streams.map((s) => ({ ...s, firstNs: s.firstNs?.toString() ?? null, lastNs: s.lastNs?.toString() ?? null, first: iso(s.firstNs), last: iso(s.lastNs) })),
        },
        null,
        2,
      );
      process.stdout.write(json + '\n');
    } else {
      let text = renderInventory(inv);
      if (instances?.length) {
        text +=
          `\nInstances in ${opts.data}:\n` +
          formatTable(
            ['instance', 'files', 'bytes', 'first day', 'last day'],
            instances.map((i) => [i.instance, String(i.files), bytes(i.bytes), i.firstDate, i.lastDate]),
            [false, true, true, false, false],
          );
      }
      process.stdout.write(text);
    }
  });
}
