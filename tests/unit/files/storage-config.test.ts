/**
 * The file store's configuration: local disk by default, S3 when `MES_FILES_STORAGE=s3`; every
 * invalid value stops startup with a message naming the variable.
 */
import { join } from 'node:path';
import { LocalFileStorage } from '../../../platform/src/files/file-storage';
import { S3FileStorage } from '../../../platform/src/files/s3-file-storage';
import { fileStorageFromEnv, s3ConfigFromEnv } from '../../../platform/src/files/storage-config';

const S3 = { MES_FILES_STORAGE: 's3', S3_BUCKET: 'mes-files' };

describe('file store configuration', () => {
  it('keeps files on local disk by default, under MES_FILES_DIR relative to the project root', () => {
    const byDefault = fileStorageFromEnv({}, '/srv/mes');
    expect(byDefault).toBeInstanceOf(LocalFileStorage);
    expect(byDefault.location).toBe(join('/srv/mes', 'data', 'files'));
    expect(fileStorageFromEnv({ MES_FILES_DIR: 'uploads' }, '/srv/mes').location).toBe('/srv/mes/uploads');
    expect(fileStorageFromEnv({ MES_FILES_STORAGE: 'local', MES_FILES_DIR: '/data/f' }, '/x').location).toBe(
      '/data/f',
    );
  });

  it('uses an S3 bucket with MES_FILES_STORAGE=s3, under the key prefix', () => {
    const storage = fileStorageFromEnv({ ...S3, S3_KEY_PREFIX: '/plant-a' }, '/srv/mes');
    expect(storage).toBeInstanceOf(S3FileStorage);
    expect(storage.kind).toBe('s3');
    expect(storage.location).toBe('s3://mes-files/plant-a/');
    (storage as S3FileStorage).destroy();
    expect(
      s3ConfigFromEnv({
        ...S3,
        S3_ENDPOINT: 'http://minio:9000',
        S3_REGION: 'eu-central-1',
        S3_ACCESS_KEY_ID: 'id',
        S3_SECRET_ACCESS_KEY: 'secret',
        S3_FORCE_PATH_STYLE: 'TRUE',
      }),
    ).toMatchObject({
      bucket: 'mes-files',
      endpoint: 'http://minio:9000',
      region: 'eu-central-1',
      credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
      forcePathStyle: true,
      keyPrefix: '',
    });
    // No keys: the SDK's own chain (AWS_* variables, instance role); the region defaults.
    expect(s3ConfigFromEnv(S3)).toMatchObject({
      credentials: null,
      region: 'us-east-1',
      forcePathStyle: false,
    });
  });

  it.each([
    [{ MES_FILES_STORAGE: 'ftp' }, /^MES_FILES_STORAGE must be one of local, s3; got 'ftp'/],
    [{ MES_FILES_STORAGE: 's3' }, /^S3_BUCKET is required with MES_FILES_STORAGE=s3/],
    [{ ...S3, S3_BUCKET: 'My_Bucket' }, /^S3_BUCKET must be a bucket name/],
    [{ ...S3, S3_ENDPOINT: 'minio:9000' }, /^S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/],
    [{ ...S3, S3_ACCESS_KEY_ID: 'id' }, /^S3_SECRET_ACCESS_KEY is required when S3_ACCESS_KEY_ID is set/],
    [{ ...S3, S3_SECRET_ACCESS_KEY: 'secret' }, /^S3_ACCESS_KEY_ID is required when S3_SECRET_ACCESS_KEY/],
    [{ ...S3, S3_FORCE_PATH_STYLE: 'yes' }, /^S3_FORCE_PATH_STYLE must be true or false; got 'yes'/],
    [{ ...S3, S3_KEY_PREFIX: 'a//b' }, /^S3_KEY_PREFIX may hold/],
    [{ ...S3, S3_KEY_PREFIX: 'tenant files' }, /^S3_KEY_PREFIX may hold/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => fileStorageFromEnv(env, '/srv/mes')).toThrow(message);
  });
});
