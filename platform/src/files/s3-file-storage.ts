/**
 * Attached files in a bucket of an S3-compatible object store (AWS S3, MinIO, Ceph RGW, …), through
 * `@aws-sdk/client-s3`: uploads streamed by `@aws-sdk/lib-storage` (one PutObject for a file of one
 * part, else a multipart upload of 5 MiB parts, one part in memory at a time, aborted when the
 * upload fails), GetObject streamed to the caller, DeleteObject to remove,
 * HeadBucket to check the bucket at startup and for readiness. Object keys are the storage key behind
 * an optional prefix: `<S3_KEY_PREFIX><tenant>/<entity>/<record id>/<uuid>`, so each tenant's files
 * lie under their own prefix. Failures become `FileStorageError`s: 503 when the store cannot be
 * reached or answers 5xx, 502 when it refuses (no such bucket, access denied, bad credentials).
 * The SDK (about 20 MB resident) is loaded with the first S3 store, so local disk never loads it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { assertStorageKey, FileStorageError, type FileStorage, type StoredFile } from './file-storage';

export interface S3StorageConfig {
  bucket: string;
  region: string;
  /** `https://minio.example:9000`; none: the AWS endpoint of the region. */
  endpoint: string | null;
  /** Both or neither; neither: the SDK's default chain (AWS_* variables, shared config, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  /** Path-style URLs (`endpoint/bucket/key`), as MinIO and most self-hosted stores want. */
  forcePathStyle: boolean;
  /** Prepended to every key (`mes/`); empty for none. */
  keyPrefix: string;
  /** Time to connect, and to complete one request, in milliseconds. */
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

/** `s3://bucket/prefix`: where the files are, for logs and backups. */
export function s3Location(config: Pick<S3StorageConfig, 'bucket' | 'keyPrefix'>): string {
  return `s3://${config.bucket}/${config.keyPrefix}`;
}

/** Network failures: the store was not reached or the connection broke. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

type Sdk = typeof import('@aws-sdk/client-s3');

/** The smallest part S3 takes in a multipart upload, and the most an upload holds in memory. */
const PART_SIZE = 5 * 1024 * 1024;

export class S3FileStorage implements FileStorage {
  readonly kind = 's3';
  private readonly sdk = require('@aws-sdk/client-s3') as Sdk;
  private readonly Upload = (require('@aws-sdk/lib-storage') as { Upload: typeof Upload }).Upload;
  private readonly client: S3Client;

  constructor(private readonly config: S3StorageConfig) {
    this.client = new this.sdk.S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      forcePathStyle: config.forcePathStyle,
      // Checksums only where the API requires them: S3-compatible stores differ in which they take.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: {
        connectionTimeout: config.connectTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
      },
    });
  }

  get location(): string {
    return s3Location(this.config);
  }

  /** The object key of a storage key. */
  objectKey(key: string): string {
    assertStorageKey(key);
    return this.config.keyPrefix + key;
  }

  async put(key: string, content: Readable, contentType: string): Promise<void> {
    const upload = new this.Upload({
      client: this.client,
      params: {
        Bucket: this.config.bucket,
        Key: this.objectKey(key),
        Body: content,
        ContentType: contentType,
      },
      partSize: PART_SIZE,
      queueSize: 1,
      // A failed upload aborts its multipart upload: no parts are left behind, and no object.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      throw content.errored ?? this.failure('storing the file', error);
    }
  }

  async open(key: string): Promise<StoredFile | null> {
    try {
      const object = await this.client.send(
        new this.sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }),
      );
      if (!object.Body) return null;
      return { body: object.Body as Readable, size: Number(object.ContentLength ?? 0) };
    } catch (error) {
      if (
        error instanceof this.sdk.S3ServiceException &&
        error.$metadata.httpStatusCode === 404 &&
        error.name === 'NoSuchKey'
      )
        return null;
      throw this.failure('reading the file', error);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(
        new this.sdk.DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }),
      );
    } catch (error) {
      throw this.failure('deleting the file', error);
    }
  }

  /** Resolves when the bucket exists and the credentials may use it (HeadBucket). */
  async checkBucket(): Promise<void> {
    try {
      await this.client.send(new this.sdk.HeadBucketCommand({ Bucket: this.config.bucket }));
    } catch (error) {
      throw this.failure('checking the bucket', error);
    }
  }

  destroy(): void {
    this.client.destroy();
  }

  /** A FileStorageError naming the operation, the bucket and the store's reason. */
  private failure(doing: string, error: unknown): FileStorageError {
    const where = `S3 bucket ${this.config.bucket}`;
    if (error instanceof this.sdk.S3ServiceException && error.$metadata.httpStatusCode !== undefined) {
      const status = error.$metadata.httpStatusCode;
      const reason = status === 404 && error.name === 'NotFound' ? 'NoSuchBucket' : error.name;
      return new FileStorageError(
        status >= 500,
        `The file store failed ${doing}: ${where} answered ${status} ${reason}`,
      );
    }
    const code = networkCode(error);
    if (code)
      return new FileStorageError(
        true,
        `The file store cannot be reached ${doing}: ${where}, ${code}; retry later`,
      );
    return new FileStorageError(
      true,
      `The file store failed ${doing}: ${where}, ${(error as Error)?.message ?? String(error)}`,
    );
  }
}

/** The network error code of a failure, from its code, name or (when the SDK wrapped it) message. */
function networkCode(error: unknown): string | null {
  for (let cause: unknown = error, depth = 0; cause && depth < 4; depth++) {
    const { code, name, message } = cause as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && UNREACHABLE.has(code)) return code;
    if (typeof name === 'string' && UNREACHABLE.has(name)) return name;
    const named = typeof message === 'string' ? /\b(E[A-Z]+)\b/.exec(message)?.[1] : undefined;
    if (named && UNREACHABLE.has(named)) return named;
    if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
    else cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}
