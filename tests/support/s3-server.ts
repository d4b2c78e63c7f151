/**
 * A local S3-compatible server for tests: s3rver (a real HTTP server speaking the S3 protocol) on a
 * free port over a temporary folder, with one bucket, the environment that points the MES at it and
 * an S3 client to look into the bucket. s3rver keeps the parts of multipart uploads in progress in a
 * folder per upload but does not implement AbortMultipartUpload; the server here does, as S3 does
 * (removing the upload's parts), so a test can see that an upload that failed left nothing behind.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** The MES environment for this bucket (`MES_FILES_STORAGE=s3`, `S3_*`). */
  env: Record<string, string>;
  client: S3Client;
  /** Keys of the objects under `prefix`. */
  keys(prefix: string): Promise<string[]>;
  /** How many multipart uploads were begun (CreateMultipartUpload). */
  begunUploads(): number;
  /** Ids of the multipart uploads begun and neither completed nor aborted. */
  pendingUploads(): string[];
  /** Stops the server (idempotent); the folder stays until `dispose`. */
  stop(): Promise<void>;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

const ACCESS_KEY = 'S3RVER';

export async function startS3Server(bucket = 'mes-files', keyPrefix = 'mes/'): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'mes-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  // Where s3rver keeps the parts of each upload in progress, one folder per upload id.
  const uploads = join(directory, bucket, '._S3rver_uploads');
  let begun = 0;
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method === 'POST' && 'uploads' in ctx.query) begun++;
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string' || !/^[\w-]+$/.test(uploadId)) return next();
    rmSync(join(uploads, uploadId), { recursive: true, force: true });
    ctx.status = 204;
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let running = true;
  const stop = async () => {
    if (!running) return;
    running = false;
    client.destroy();
    await server.close();
  };
  return {
    endpoint,
    bucket,
    env: {
      MES_FILES_STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: ACCESS_KEY,
      S3_SECRET_ACCESS_KEY: ACCESS_KEY,
      S3_FORCE_PATH_STYLE: 'true',
      S3_KEY_PREFIX: keyPrefix,
    },
    client,
    keys: async (prefix) => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key!);
    },
    begunUploads: () => begun,
    pendingUploads: () => {
      try {
        return readdirSync(uploads);
      } catch {
        return [];
      }
    },
    stop,
    dispose: async () => {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
