/** `ticktape upload`: ships a data folder's sealed partitions to S3-compatible object storage. */
import type { Command } from 'commander';
import { EXIT, TicktapeError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { openRemoteStore } from '../../store/remote/s3-client.js';
import { describeStore, resolveStoreConfig } from '../../store/remote/store-config.js';
import { uploadBacklog, uploadStore } from '../../store/remote/uploader.js';
import { DEFAULT_DATA_DIR, existingDataDir } from '../options.js';
import { storeSectionOf } from '../../store/open-data-arg.js';

export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description('Ship every sealed partition of a data folder to s3://bucket/prefix (same hive paths, sidecars, manifests); nothing is ever overwritten')
    .option('--data <dir>', 'data folder', DEFAULT_DATA_DIR)
    .requiredOption('--to <url>', 's3://bucket/prefix')
    .option('--config <file>', 'a config file whose `store` section gives endpoint, region and forcePathStyle')
    .addHelpText(
      'after',
      `
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the SDK's profiles); the endpoint
from the config's store.endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (MinIO, R2, B2, Ceph).
A run that is killed is finished by the next one: nothing is uploaded twice, nothing is lost.
Local files are kept (the recorder deletes them after store.keepLocalDays).
Examples:
  ticktape upload --data ./data --to s3://market-data/ticktape
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 ticktape upload --data ./data --to s3://bucket/prefix

Exit codes: 0 all shipped, 1 some files failed (they stay local and are retried), 3 a name clash in the bucket.`,
    )
    .action(async (o: { data: string; to: string; config?: string }) => {
      const dataDir = existingDataDir(o.data);
      const cfg = resolveStoreConfig(o.to, storeSectionOf(o.config), process.env, '--to');
      const log = createLogger('upload');
      log.info(describeStore(cfg), 'uploading');
      const store = openRemoteStore(cfg);
      try {
        const r = await uploadStore(dataDir, store, { log });
        if (!r.ran) throw new TicktapeError('TT_JOURNAL_LOCKED', `Another upload of ${dataDir} is running (${dataDir}/uploads/UPLOAD.LOCK): wait for it, or stop it first.`, { dataDir });
        const mb = r.bytes / 1e6;
        const lines = [`Uploaded ${r.uploaded} file(s), ${mb.toFixed(1)} MB in ${(r.elapsedMs / 1000).toFixed(1)} s (${(mb / Math.max(r.elapsedMs / 1000, 0.001)).toFixed(1)} MB/s) to ${cfg.url}.`];
        if (r.adopted) lines.push(`${r.adopted} file(s) were in the bucket already (an interrupted run's): checked and committed, not uploaded again.`);
        if (r.skipped) lines.push(`${r.skipped} file(s) shipped before.`);
        if (r.abortedMultipart) lines.push(`Aborted ${r.abortedMultipart} multipart upload(s) an interrupted run left open.`);
        for (const f of r.failures) lines.push(`  FAILED ${f.path}: ${f.message} [${f.code}]`);
        const left = uploadBacklog(dataDir, cfg.url);
        if (left.files) lines.push(`${left.files} file(s) not shipped yet (${(left.bytes / 1e6).toFixed(1)} MB): run again once the failures above are fixed.`);
        process.stdout.write(lines.join('\n') + '\n');
        if (r.failures.some((f) => f.code === 'TT_STORE_CONFLICT')) process.exitCode = EXIT.DAMAGE;
        else if (r.failures.length) process.exitCode = EXIT.FAILURE;
      } finally {
        store.close();
      }
    });
}
