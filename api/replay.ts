/**
 * `replay()`: the recorded frames of a data folder as an async iterable, in recorded order
 * (recv_ns, conn_id, seq) across exchanges and connections, from sealed partitions and unsealed
 * journals alike, with every gap as a typed `GapEvent` where it happened. Built on the raw reader
 * (store/reader), which reads in bounded windows: a month of data streams in constant memory.
 * From an `s3://` store the days stream from the local cache while the next ones download.
 */
import type { Direction } from '../schemas/record.js';
import { FLAG_OVERLAP } from '../schemas/record.js';
import { TicktapeError } from '../core/errors.js';
import { daysOfRange, openDataSpans, type DataLocation, type RemoteDataOptions } from '../store/open-data.js';
import { readRecords } from '../store/reader/index.js';
import { exchangeFilter, rangeFilter, stringList, type TimeRange } from './filters.js';
import { Frame, gapEventOf, type GapEvent } from './frame.js';

const DIRECTIONS: readonly Direction[] = ['in', 'out', 'event'];

export interface ReplayOptions extends TimeRange {
  /** The data folder `ticktape record` wrote (a path or a `file:` URL), or an `s3://bucket/prefix` store it shipped to. */
  data: DataLocation;
  /** With an `s3://bucket/prefix` data location: endpoint, region and the local cache (default: the AWS_* environment). */
  remote?: RemoteDataOptions;
  /** Only these exchanges (default: all). Gaps of the whole recorder (a full disk) still come. */
  exchanges?: readonly string[];
  /** Only these canonical stream keys, as `ticktape ls` lists them. Gaps of the whole connection still come. */
  streams?: readonly string[];
  /** Only frames of these directions (default: all three); gap events come whatever this says. */
  directions?: readonly Direction[];
  /**
   * Also yield the frames a make-before-break rotation received twice (flagged overlap). Default
   * false, as the replay server and the normalizers do: nothing is counted twice.
   */
  overlap?: boolean;
  /** Read unsealed journals too (default true). */
  includeJournal?: boolean;
  /**
   * Give each frame its JSON value as `message` (default false): built straight from the stored
   * payload template instead of parsing `frame.text()`, the value `JSON.parse` gives (its speed:
   * BENCHMARKS.md, "Parsed reading").
   */
  parse?: boolean;
}

/** What `replay()` yields. */
export type ReplayItem = Frame | GapEvent;

function directionFilter(d: readonly Direction[] | undefined): Direction[] | undefined {
  if (!d?.length) return undefined;
  for (const x of d) {
    if (!DIRECTIONS.includes(x)) throw new TicktapeError('TT_CONFIG_INVALID', `Unknown direction "${String(x)}": use in, out or event.`, { field: 'directions' });
  }
  return [...d];
}

/**
 * The recorded frames and gaps, in order. Options are checked when it is called (a bad time or
 * exchange throws a TicktapeError at once); the data is opened when iteration starts, and closed
 * when it ends or the loop breaks.
 *
 * @example
 * for await (const item of replay({ data: './data', exchanges: ['coinstore'], from: '2026-11-23' })) {
 *   if (item.type === 'gap') console.warn('gap', item.cause, item.stream);
 *   else if (item.direction === 'in') handle(item.stream, item.json());
 * }
 */
export function replay(options: ReplayOptions): AsyncIterable<ReplayItem> {
  const exchanges = exchangeFilter(options.exchanges);
  const streams = stringList('streams', options.streams);
  const directions = directionFilter(options.directions);
  const { fromNs, toNs } = rangeFilter(options);
  const overlap = options.overlap === true;
  return {
    async *[Symbol.asyncIterator]() {
      const data = await openDataSpans(options.data, { remote: options.remote, filter: { ...daysOfRange(fromNs, toNs), tables: ['raw'], exchanges: exchanges ? [...exchanges, ''] : undefined }, fromNs, toNs });
      const streamSet = streams ? new Set(streams) : null;
      const dirSet = directions ? new Set<string>(directions) : null;
      try {
        for await (const span of data.spans) {
          const batches = readRecords({
            dataDir: span.dir,
            // '' holds what concerns a whole recorder instance (journal loss), '' streams what
            // concerns a whole connection, 'event' the gap records: read, then kept only for gaps.
            exchanges: exchanges ? [...exchanges, ''] : undefined,
            streams: streams ? [...streams, ''] : undefined,
            directions: directions && !directions.includes('event') ? [...directions, 'event'] : directions,
            fromNs: span.fromNs,
            toNs: span.toNs,
            includeJournal: options.includeJournal,
            parse: options.parse === true,
          });
          for await (const batch of batches) {
            for (const r of batch) {
              if (r.direction === 'event' && r.kind === 'gap') {
                yield gapEventOf(r);
                continue;
              }
              if (exchanges && r.exchange === '') continue;
              if (streamSet && !streamSet.has(r.stream)) continue;
              if (dirSet && !dirSet.has(r.direction)) continue;
              if (!overlap && (r.flags & FLAG_OVERLAP) !== 0) continue;
              yield new Frame(r);
            }
          }
        }
      } finally {
        data.close();
      }
    },
  };
}
