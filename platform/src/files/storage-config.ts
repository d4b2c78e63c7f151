/**
 * The file store the server uses, from the environment: `MES_FILES_STORAGE=local` (default; the
 * folder `MES_FILES_DIR`) or `s3` (`S3_BUCKET`, `S3_REGION`, `S3_ENDPOINT`, `S3_ACCESS_KEY_ID`,
 * `S3_SECRET_ACCESS_KEY`, `S3_FORCE_PATH_STYLE`, `S3_KEY_PREFIX`). An invalid value stops startup with
 * a message naming the variable.
 */
import { FileStorageError, LocalFileStorage, localFilesDir, type FileStorage } from './file-storage';
import { S3FileStorage, s3Location, type S3StorageConfig } from './s3-file-storage';

const KINDS = ['local', 's3'] as const;
/** S3 bucket names: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending alphanumeric. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Key prefixes: the characters S3 calls safe for object keys. */
const PREFIX = /^[A-Za-z0-9!_.*'()/-]*$/;

export function fileStorageFromEnv(env: NodeJS.ProcessEnv, projectRoot: string): FileStorage {
  return storageKind(env) === 'local'
    ? new LocalFileStorage(localFilesDir(env, projectRoot))
    : new S3FileStorage(s3ConfigFromEnv(env));
}

/**
 * Where the environment keeps attached files, from the configuration alone (no store opened, no SDK
 * loaded): `local` and the folder, or `s3` and `s3://bucket/prefix` (what `mes backup` records, since
 * the files are not in a backup).
 */
export function fileStoreLocation(
  env: NodeJS.ProcessEnv,
  projectRoot: string,
): { storage: FileStorage['kind']; location: string } {
  return storageKind(env) === 'local'
    ? { storage: 'local', location: localFilesDir(env, projectRoot) }
    : { storage: 's3', location: s3Location(s3ConfigFromEnv(env)) };
}

/** `MES_FILES_STORAGE`, default `local`. */
function storageKind(env: NodeJS.ProcessEnv): FileStorage['kind'] {
  const kind = env.MES_FILES_STORAGE?.trim() || 'local';
  if (!isStorageKind(kind))
    throw new Error(`MES_FILES_STORAGE must be one of ${KINDS.join(', ')}; got '${kind}'`);
  return kind;
}

function isStorageKind(kind: string): kind is FileStorage['kind'] {
  return (KINDS as readonly string[]).includes(kind);
}

export function s3ConfigFromEnv(env: NodeJS.ProcessEnv): S3StorageConfig {
  const value = (name: string) => env[name]?.trim() || '';
  const bucket = value('S3_BUCKET');
  if (!bucket) throw new Error('S3_BUCKET is required with MES_FILES_STORAGE=s3');
  if (!BUCKET.test(bucket))
    throw new Error(
      `S3_BUCKET must be a bucket name (3-63 lower-case letters, digits, dots, hyphens); got '${bucket}'`,
    );
  const endpoint = value('S3_ENDPOINT');
  if (endpoint && !/^https?:$/.test(URL.parse(endpoint)?.protocol ?? ''))
    throw new Error(`S3_ENDPOINT must be an http:// or https:// URL; got '${endpoint}'`);
  const accessKeyId = value('S3_ACCESS_KEY_ID');
  const secretAccessKey = value('S3_SECRET_ACCESS_KEY');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey))
    throw new Error(
      `${accessKeyId ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'} is required when ${accessKeyId ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY'} is set`,
    );
  const pathStyle = value('S3_FORCE_PATH_STYLE').toLowerCase() || 'false';
  if (pathStyle !== 'true' && pathStyle !== 'false')
    throw new Error(`S3_FORCE_PATH_STYLE must be true or false; got '${env.S3_FORCE_PATH_STYLE}'`);
  const prefix = value('S3_KEY_PREFIX').replace(/^\/+/, '');
  if (!PREFIX.test(prefix) || prefix.includes('//') || prefix.length > 200)
    throw new Error(
      `S3_KEY_PREFIX may hold letters, digits and !_.*'()/- (at most 200, no empty segment); got '${prefix}'`,
    );
  return {
    bucket,
    region: value('S3_REGION') || value('AWS_REGION') || 'us-east-1',
    endpoint: endpoint || null,
    credentials: accessKeyId ? { accessKeyId, secretAccessKey } : null,
    forcePathStyle: pathStyle === 'true',
    keyPrefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
    connectTimeoutMs: 5000,
    requestTimeoutMs: 30_000,
  };
}

/**
 * Checks an S3 store once at startup: a bucket that does not exist or refuses the credentials stops
 * startup (naming S3_BUCKET and the store's answer); a store that cannot be reached is only warned
 * about — readiness reports it, and requests that need it answer 503 until it is back.
 */
export async function checkFileStorage(
  storage: S3FileStorage,
  warn: (message: string) => void,
): Promise<void> {
  try {
    await storage.checkBucket();
  } catch (error) {
    if (error instanceof FileStorageError && !error.unreachable)
      throw new Error(`S3_BUCKET: ${error.message}`, { cause: error });
    warn((error as Error).message);
  }
}
