/**
 * The S3 file store against s3rver, a local S3-compatible server: objects under the key prefix,
 * streamed back with their length, deleted; a missing bucket stops startup naming S3_BUCKET and
 * refuses writes with 502 STORAGE_FAILED; a store that cannot be reached is 503 STORAGE_UNAVAILABLE
 * and only a warning at startup.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { FileStorageError, storageKey } from '../../../platform/src/files/file-storage';
import { S3FileStorage } from '../../../platform/src/files/s3-file-storage';
import { checkFileStorage, s3ConfigFromEnv } from '../../../platform/src/files/storage-config';
import { startS3Server, type S3TestServer } from '../../support/s3-server';

describe('S3 file store (s3rver)', () => {
  let s3: S3TestServer;
  const stores: S3FileStorage[] = [];
  const storeFor = (env: Record<string, string>) => {
    const store = new S3FileStorage(s3ConfigFromEnv(env));
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    s3 = await startS3Server('mes-files', 'plant-a/');
  });
  afterAll(async () => {
    for (const store of stores) store.destroy();
    await s3?.dispose();
  });

  it('stores a file under the key prefix, streams it back with its length, and deletes it', async () => {
    const store = storeFor(s3.env);
    const key = storageKey('DEMO', 'work_order', 7, randomUUID());
    await store.put(key, Buffer.from('drawing rev B'), 'application/pdf');
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'mes-files', Key: `plant-a/${key}` }));
    expect(head).toMatchObject({ ContentLength: 13, ContentType: 'application/pdf' });

    const opened = await store.open(key);
    expect(opened?.size).toBe(13);
    expect(await text(opened!.body)).toBe('drawing rev B');

    await store.remove(key);
    expect(await s3.keys('plant-a/DEMO/work_order/7/')).toEqual([]);
    expect(await store.open(key)).toBeNull();
    // Removing what is gone is not an error.
    await expect(store.remove(key)).resolves.toBeUndefined();
    await expect(checkFileStorage(store, () => undefined)).resolves.toBeUndefined();
  });

  it('stops startup on a bucket that does not exist, naming S3_BUCKET, and refuses writes with 502', async () => {
    const store = storeFor({ ...s3.env, S3_BUCKET: 'no-such-bucket' });
    await expect(checkFileStorage(store, () => undefined)).rejects.toThrow(
      /^S3_BUCKET: The file store failed checking the bucket: S3 bucket no-such-bucket answered 404 NoSuchBucket/,
    );
    const refused = await store
      .put(storageKey('DEMO', 'work_order', 7, randomUUID()), Buffer.from('x'), 'text/plain')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(FileStorageError);
    expect(refused).toMatchObject({ httpStatus: 502, code: 'STORAGE_FAILED' });
    expect((refused as Error).message).toMatch(/S3 bucket no-such-bucket answered 404 NoSuchBucket/);
  });

  it('answers 503 while the store cannot be reached, and only warns at startup', async () => {
    const other = await startS3Server('mes-files');
    const store = storeFor(other.env);
    await other.dispose();
    const warnings: string[] = [];
    await checkFileStorage(store, (message) => warnings.push(message));
    expect(warnings).toEqual([
      expect.stringMatching(/cannot be reached checking the bucket: .*ECONNREFUSED/),
    ]);
    const refused = await store
      .put(storageKey('DEMO', 'work_order', 7, randomUUID()), Buffer.from('x'), 'text/plain')
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ httpStatus: 503, code: 'STORAGE_UNAVAILABLE' });
  });
});
