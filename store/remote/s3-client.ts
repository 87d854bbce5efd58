/**
 * The S3 client and the few object operations ticktape needs, each turning the SDK's errors into
 * TicktapeErrors: unreachable (retried by the SDK first), denied, conflict (a conditional write
 * lost). Nothing here logs; messages name the store by URL, never by credential.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TicktapeError } from '../../core/errors.js';
import type { RemoteStoreConfig } from './store-config.js';

// The SDK warns on stderr that later releases will need Node 22; ticktape pins a release that runs on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Attempts per request (the SDK's retry with backoff) before a store counts as unreachable. */
export const S3_MAX_ATTEMPTS = 3;
/** A request that gets no answer in this long fails (then is retried). */
export const S3_REQUEST_TIMEOUT_MS = 30_000;
export const S3_CONNECT_TIMEOUT_MS = 5_000;

export interface RemoteStore {
  cfg: RemoteStoreConfig;
  client: S3Client;
  close(): void;
}

export function openRemoteStore(cfg: RemoteStoreConfig, opts: { maxAttempts?: number } = {}): RemoteStore {
  const client = new S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: cfg.credentials,
    maxAttempts: opts.maxAttempts ?? S3_MAX_ATTEMPTS,
    requestHandler: { requestTimeout: S3_REQUEST_TIMEOUT_MS, connectionTimeout: S3_CONNECT_TIMEOUT_MS },
    // Checksums only where ticktape asks for them: S3-compatible stores differ in what they accept.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { cfg, client, close: () => client.destroy() };
}

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  message?: string;
}

export function httpStatus(err: unknown): number | undefined {
  return (err as SdkError)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  return httpStatus(err) === 404 || e?.name === 'NotFound' || e?.name === 'NoSuchKey';
}

/** A conditional write (If-None-Match / If-Match) that lost: 412, or 409 from a concurrent one. */
export function isPreconditionFailed(err: unknown): boolean {
  const s = httpStatus(err);
  return s === 412 || s === 409 || (err as SdkError)?.name === 'PreconditionFailed';
}

/** The SDK's error as a TicktapeError: `what` says what ticktape was doing ("uploading raw/…"). */
export function storeError(err: unknown, store: RemoteStore, what: string): TicktapeError {
  if (err instanceof TicktapeError) return err;
  const e = err as SdkError;
  const status = httpStatus(err);
  const detail = `${e?.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}`;
  if (status === 403 || status === 401 || e?.name === 'AccessDenied' || e?.name === 'InvalidAccessKeyId' || e?.name === 'SignatureDoesNotMatch' || e?.name === 'CredentialsProviderError') {
    return new TicktapeError('TT_STORE_DENIED', `${store.cfg.url} refused ${what}: ${detail}. Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy.`, { url: store.cfg.url }, { cause: err });
  }
  if (e?.name === 'NoSuchBucket') {
    return new TicktapeError('TT_STORE_DENIED', `${store.cfg.url}: no such bucket (${what}). Create it, or fix the bucket name in the URL.`, { url: store.cfg.url }, { cause: err });
  }
  return new TicktapeError(
    'TT_STORE_UNREACHABLE',
    `${store.cfg.url} failed ${what}: ${detail}${status ? '' : ` ${e?.message ?? ''}`.trimEnd()}. Check the endpoint${store.cfg.endpoint ? ` (${store.cfg.endpoint})` : ''} and the network; nothing local is deleted until the store answers.`,
    { url: store.cfg.url },
    { cause: err },
  );
}

export interface ObjectHead {
  etag: string;
  bytes: number;
  lastModified: Date | undefined;
}

export async function headObject(store: RemoteStore, key: string): Promise<ObjectHead | null> {
  try {
    const h = await store.client.send(new HeadObjectCommand({ Bucket: store.cfg.bucket, Key: key }));
    return { etag: h.ETag ?? '', bytes: Number(h.ContentLength ?? 0), lastModified: h.LastModified };
  } catch (err) {
    if (isNotFound(err)) return null;
    throw storeError(err, store, `reading ${key}`);
  }
}

/** A small object's text and ETag, or null when it does not exist. */
export async function getText(store: RemoteStore, key: string): Promise<{ text: string; etag: string } | null> {
  try {
    const r = await store.client.send(new GetObjectCommand({ Bucket: store.cfg.bucket, Key: key }));
    return { text: await r.Body!.transformToString('utf8'), etag: r.ETag ?? '' };
  } catch (err) {
    if (isNotFound(err)) return null;
    throw storeError(err, store, `reading ${key}`);
  }
}

export type PutCondition = { ifNoneMatch: true } | { ifMatch: string };

/** Writes a small object under a condition; false when the condition failed (someone else wrote first). */
export async function putConditional(store: RemoteStore, key: string, body: string | Uint8Array, cond: PutCondition, contentType = 'application/json'): Promise<string | false> {
  try {
    const r = await store.client.send(new PutObjectCommand({ Bucket: store.cfg.bucket, Key: key, Body: body, ContentType: contentType, ...('ifNoneMatch' in cond ? { IfNoneMatch: '*' } : { IfMatch: cond.ifMatch }) }));
    return r.ETag ?? '';
  } catch (err) {
    if (isPreconditionFailed(err) || ('ifMatch' in cond && isNotFound(err))) return false;
    throw storeError(err, store, `writing ${key}`);
  }
}

export async function deleteObject(store: RemoteStore, key: string): Promise<void> {
  try {
    await store.client.send(new DeleteObjectCommand({ Bucket: store.cfg.bucket, Key: key }));
  } catch (err) {
    if (isNotFound(err)) return;
    throw storeError(err, store, `deleting ${key}`);
  }
}

export interface ListedObject {
  key: string;
  etag: string;
  bytes: number;
  lastModified: Date | undefined;
}

/** Every object under a key prefix (all pages). */
export async function listObjects(store: RemoteStore, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  try {
    do {
      const r = await store.client.send(new ListObjectsV2Command({ Bucket: store.cfg.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) out.push({ key: o.Key!, etag: o.ETag ?? '', bytes: Number(o.Size ?? 0), lastModified: o.LastModified });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    throw storeError(err, store, `listing ${prefix || '/'}`);
  }
  return out;
}

/** Multipart uploads left open under a key prefix (by a killed process), with their start time. */
export async function listOpenMultipart(store: RemoteStore, prefix: string): Promise<{ key: string; uploadId: string; initiated: Date | undefined }[]> {
  const out: { key: string; uploadId: string; initiated: Date | undefined }[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  try {
    for (;;) {
      const r = await store.client.send(new ListMultipartUploadsCommand({ Bucket: store.cfg.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }));
      for (const u of r.Uploads ?? []) out.push({ key: u.Key!, uploadId: u.UploadId!, initiated: u.Initiated });
      if (!r.IsTruncated) break;
      keyMarker = r.NextKeyMarker;
      idMarker = r.NextUploadIdMarker;
    }
  } catch (err) {
    throw storeError(err, store, `listing open multipart uploads under ${prefix || '/'}`);
  }
  return out;
}

export async function abortMultipart(store: RemoteStore, key: string, uploadId: string): Promise<void> {
  try {
    await store.client.send(new AbortMultipartUploadCommand({ Bucket: store.cfg.bucket, Key: key, UploadId: uploadId }));
  } catch (err) {
    if (isNotFound(err)) return;
    throw storeError(err, store, `aborting an upload of ${key}`);
  }
}

/**
 * Streams an object to `file` (created exclusively by the caller's choice of a temp name) and
 * returns its SHA-256 and ETag. `etag`, when given, makes the read conditional: an object replaced
 * meanwhile fails (TT_PARTITION_DAMAGED) instead of mixing versions.
 */
export async function downloadTo(store: RemoteStore, key: string, file: string, etag?: string): Promise<{ sha256: string; etag: string; bytes: number }> {
  let r;
  try {
    r = await store.client.send(new GetObjectCommand({ Bucket: store.cfg.bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) }));
  } catch (err) {
    // ticktape never overwrites a committed object: another one under its key is damage, not a network failure
    if (etag && isPreconditionFailed(err)) {
      throw new TicktapeError('TT_PARTITION_DAMAGED', `${key} in ${store.cfg.url} is not the object its manifest committed (it was replaced: its ETag differs). Run \`ticktape verify --data ${store.cfg.url}\`.`, { key }, { cause: err });
    }
    throw storeError(err, store, `downloading ${key}`);
  }
  const h = createHash('sha256');
  let bytes = 0;
  const body = r.Body as Readable;
  body.on('data', (c: Buffer) => {
    h.update(c);
    bytes += c.length;
  });
  try {
    await pipeline(body, fs.createWriteStream(file, { flags: 'wx' }));
  } catch (err) {
    throw storeError(err, store, `downloading ${key}`);
  }
  return { sha256: h.digest('hex'), etag: r.ETag ?? '', bytes };
}

/** SHA-256 of an object as stored, read back in full: what an upload is verified with. */
export async function sha256OfObject(store: RemoteStore, key: string): Promise<{ sha256: string; bytes: number; etag: string }> {
  let r;
  try {
    r = await store.client.send(new GetObjectCommand({ Bucket: store.cfg.bucket, Key: key }));
  } catch (err) {
    throw storeError(err, store, `reading back ${key}`);
  }
  const h = createHash('sha256');
  let bytes = 0;
  try {
    for await (const c of r.Body as Readable) {
      h.update(c as Buffer);
      bytes += (c as Buffer).length;
    }
  } catch (err) {
    throw storeError(err, store, `reading back ${key}`);
  }
  return { sha256: h.digest('hex'), bytes, etag: r.ETag ?? '' };
}
