/**
 * Where things are in a bucket, relative to the store's prefix:
 *
 *   <table>/exchange=<ex>/date=<d>/<file>.parquet          a sealed file, same hive path as on disk
 *   <table>/exchange=<ex>/date=<d>/.<file>.parquet.sha256  its SHA-256 sidecar
 *   raw/exchange=<ex>/date=<d>/.<file>.parquet.summary.json what a raw file holds (raw-summary.ts)
 *   book|trades/exchange=<ex>/date=<d>/.<file>.parquet.summary.json its markets (market-summary.ts)
 *   _ticktape/manifests/<table>/exchange=<ex>/date=<d>.json the commit: which files of that day exist
 *   _ticktape/leases/<table>/exchange=<ex>/date=<d>.json    held by the one compactor of that day
 *
 * `_ticktape/` starts with an underscore, so Spark, Trino and Hive skip it as they skip hidden
 * files, and the `*.parquet` globs of other engines never match it.
 */
import path from 'node:path';
import type { TableName } from '../../schemas/tables.js';
import { exchangeDirKey } from '../partitions.js';

const CONTROL_DIR = '_ticktape';
export const MANIFEST_DIR = `${CONTROL_DIR}/manifests`;
const LEASE_DIR = `${CONTROL_DIR}/leases`;

export interface DayKey {
  table: TableName;
  /** Exchange id as the files carry it ('' for instance-wide events). */
  exchange: string;
  date: string;
}

export function dayDir(d: DayKey): string {
  return `${d.table}/exchange=${exchangeDirKey(d.exchange)}/date=${d.date}`;
}

export function sidecarRelPath(d: DayKey, name: string): string {
  return `${dayDir(d)}/.${name}.sha256`;
}

/** A raw, book or trades file's summary object (summaries.ts): read by a replay server instead of the file. */
export function summaryRelPath(d: DayKey, name: string): string {
  return `${dayDir(d)}/.${name}.summary.json`;
}

export function manifestRelPath(d: DayKey): string {
  return `${MANIFEST_DIR}/${dayDir(d)}.json`;
}

export function leaseRelPath(d: DayKey): string {
  return `${LEASE_DIR}/${dayDir(d)}.json`;
}

const MANIFEST_RE = /^_ticktape\/manifests\/([a-z_]+)\/exchange=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\.json$/;

/** The day a manifest's relative path names, or null for anything else. */
export function parseManifestRelPath(rel: string, tables: readonly string[]): DayKey | null {
  const m = MANIFEST_RE.exec(rel);
  if (!m || !tables.includes(m[1])) return null;
  return { table: m[1] as TableName, exchange: m[2] === 'no-exchange' ? '' : m[2], date: m[3] };
}

/** The local path of a day's file under a data folder (the cache or a store). */
export function localPathOf(dataDir: string, d: DayKey, name: string): string {
  return path.join(dataDir, ...dayDir(d).split('/'), name);
}
