/**
 * The S3 file store against s3rver, a local S3-compatible server: objects under the key prefix,
 * streamed back with their length, deleted; a file larger than one part streamed as a multipart
 * upload, and one whose content fails midway (a size limit, a client gone) leaving no object and no
 * parts, with the content's own error; a missing bucket stops startup naming S3_BUCKET and
 * refuses writes with 502 STORAGE_FAILED; a store that cannot be reached is 503 STORAGE_UNAVAILABLE
 * and only a warning at startup. Where the files are (what `mes backup` records) comes from the
 * configuration, without loading the SDK.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
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
    await store.put(key, Readable.from([Buffer.from('drawing rev B')]), 'application/pdf');
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

  /** `size` bytes of a repeating pattern, in 64 KiB chunks as a request body arrives; fails after `failAfter` bytes. */
  function content(size: number, failAfter = Infinity): Readable {
    return Readable.from(
      (function* () {
        for (let sent = 0; sent < size; sent += 64 * 1024) {
          if (sent >= failAfter) throw new Error('client went away');
          yield Buffer.alloc(Math.min(64 * 1024, size - sent), sent % 251);
        }
      })(),
    );
  }
  const sha256 = async (stream: Readable) => {
    const hash = createHash('sha256');
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest('hex');
  };

  it('streams a file larger than one part as a multipart upload, whole and in order', async () => {
    const store = storeFor(s3.env);
    const key = storageKey('DEMO', 'work_order', 8, randomUUID());
    const size = 12 * 1024 * 1024 + 12_345;
    const begun = s3.begunUploads();
    await store.put(key, content(size), 'application/octet-stream');
    expect(s3.begunUploads()).toBe(begun + 1);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'mes-files', Key: `plant-a/${key}` }));
    expect(head).toMatchObject({ ContentLength: size, ContentType: 'application/octet-stream' });
    const opened = await store.open(key);
    expect(await sha256(opened!.body)).toBe(await sha256(content(size)));
    expect(s3.pendingUploads()).toEqual([]);
  });

  it('aborts an upload whose content fails midway: no object, no parts, the content error thrown', async () => {
    const store = storeFor(s3.env);
    const key = storageKey('DEMO', 'work_order', 9, randomUUID());
    const begun = s3.begunUploads();
    const failed = await store
      .put(key, content(20 * 1024 * 1024, 11 * 1024 * 1024), 'application/octet-stream')
      .catch((error: unknown) => error);
    expect(failed).toEqual(new Error('client went away'));
    expect(s3.begunUploads()).toBe(begun + 1);
    expect(await s3.keys('plant-a/DEMO/work_order/9/')).toEqual([]);
    expect(s3.pendingUploads()).toEqual([]);
  });

  it('tells mes backup where the files are from the configuration, without loading the SDK', () => {
    // The built module in a fresh process (`npm run build`): its require cache shows what loaded.
    const script = `
      const config = require(${JSON.stringify(join(__dirname, '../../../dist/platform/src/files/storage-config.js'))});
      const sdkLoaded = () => Object.keys(require.cache).some((file) => file.includes('@aws-sdk'));
      const where = config.fileStoreLocation(${JSON.stringify(s3.env)}, '/srv/mes');
      const before = sdkLoaded();
      config.fileStorageFromEnv(${JSON.stringify(s3.env)}, '/srv/mes').destroy();
      console.log(JSON.stringify({ where, before, after: sdkLoaded() }));`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      where: { storage: 's3', location: 's3://mes-files/plant-a/' },
      before: false,
      // Opening the store does load it: the check sees the SDK when it is there.
      after: true,
    });
  });

  it('stops startup on a bucket that does not exist, naming S3_BUCKET, and refuses writes with 502', async () => {
    const store = storeFor({ ...s3.env, S3_BUCKET: 'no-such-bucket' });
    await expect(checkFileStorage(store, () => undefined)).rejects.toThrow(
      /^S3_BUCKET: The file store failed checking the bucket: S3 bucket no-such-bucket answered 404 NoSuchBucket/,
    );
    const refused = await store
      .put(storageKey('DEMO', 'work_order', 7, randomUUID()), Readable.from([Buffer.from('x')]), 'text/plain')
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
      .put(storageKey('DEMO', 'work_order', 7, randomUUID()), Readable.from([Buffer.from('x')]), 'text/plain')
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ httpStatus: 503, code: 'STORAGE_UNAVAILABLE' });
  });
});
