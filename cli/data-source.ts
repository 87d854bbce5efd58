/**
 * `--data` of the commands that read: a local folder, or `s3://bucket/prefix` read through the
 * local cache. `--cache-gb` bounds the cache; `--config FILE` names the endpoint and region (its
 * `store` section) when the AWS_* environment does not. Opening it is store/open-data-arg.ts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_CACHE_GB } from '../store/remote/read-cache.js';

export const DATA_HELP = 'data folder, or s3://bucket/prefix (read through the local cache)';

/** Adds --cache-gb and --config to a command whose --data may be s3://. */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--cache-gb <n>', `with --data s3://…: bound of the local cache, GB (default ${DEFAULT_CACHE_GB}; least recently used files go first)`, (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--cache-gb must be a number of GB above 0');
      return n;
    })
    .option('--config <file>', 'with s3://: a config file whose `store` section gives endpoint, region and forcePathStyle');
}
