/**
 * Where the bytes of attached files live. The database keeps one `attachment` row per file (name,
 * type, size, SHA-256, storage key); the storage keeps the content under that key. Two stores, chosen
 * by `MES_FILES_STORAGE`: a folder on local disk (`local`, the default: `MES_FILES_DIR`, default
 * `data/files`; several instances share it through a mounted volume) or a bucket of an S3-compatible
 * object store (`s3`, s3-file-storage.ts). Everything else about attachments — limits, permissions,
 * audit, preview and download — is the same service path for both (record-files.ts).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../crud/errors';

/** The content stored under a key, to be streamed to the caller. */
export interface StoredFile {
  body: Readable;
  /** Bytes, as the store reports them (the response's content-length). */
  size: number;
}

export interface FileStorage {
  /** `local` or `s3`. */
  readonly kind: 'local' | 's3';
  /** Where the files go, for logs and backups (`/srv/mes/files`, `s3://bucket/prefix`); never a secret. */
  readonly location: string;
  /**
   * Streams `content` under `key` (made by `storageKey`), replacing nothing: keys are unique. Holds
   * a bounded part of it in memory, whatever its size. When `content` fails (a size limit, a client
   * that went away), nothing stays stored and its error is the one thrown.
   */
  put(key: string, content: Readable, contentType: string): Promise<void>;
  /** The content stored under `key`, or null when it is gone. */
  open(key: string): Promise<StoredFile | null>;
  /** Removes the content under `key`; a missing key is not an error. */
  remove(key: string): Promise<void>;
}

/**
 * The file store could not do what a request needed: `503 STORAGE_UNAVAILABLE` when it cannot be
 * reached (retry later), `502 STORAGE_FAILED` when it answered with an error. The message says which
 * operation failed and why, never credentials.
 */
export class FileStorageError extends ApiError {
  constructor(
    readonly unreachable: boolean,
    message: string,
  ) {
    super(unreachable ? 'STORAGE_UNAVAILABLE' : 'STORAGE_FAILED', unreachable ? 503 : 502, message);
  }
}

/** Storage keys are `<tenant>/<entity>/<record id>/<uuid>`: never a name a client chose. */
const KEY = /^[A-Za-z0-9_-]+\/[a-z][a-z0-9_]*\/\d+\/[0-9a-f-]{36}$/;

export function storageKey(tenant: string, entity: string, recordId: number, uuid: string): string {
  const key = `${tenant}/${entity}/${recordId}/${uuid}`;
  if (!KEY.test(key)) throw new Error(`not a storage key: ${key}`);
  return key;
}

/** Throws unless `key` is one `storageKey` makes. */
export function assertStorageKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`not a storage key: ${key}`);
}

/** Files in a folder on local disk, one file per key. */
export class LocalFileStorage implements FileStorage {
  readonly kind = 'local';

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async put(key: string, content: Readable): Promise<void> {
    const path = this.pathOf(key);
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw diskFailure('storing the file', error);
    }
    const file = createWriteStream(path, { flags: 'wx' });
    try {
      await pipeline(content, file);
    } catch (error) {
      // What this write created goes, half-written or empty (a key that was taken is not ours).
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        if (!file.closed) await once(file, 'close');
        await rm(path, { force: true }).catch(() => undefined);
      }
      throw content.errored ?? diskFailure('storing the file', error);
    }
  }

  async open(key: string): Promise<StoredFile | null> {
    const path = this.pathOf(key);
    try {
      const { size } = await stat(path);
      return { body: createReadStream(path), size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw diskFailure('reading the file', error);
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await rm(path, { force: true });
    } catch (error) {
      throw diskFailure('deleting the file', error);
    }
  }

  private pathOf(key: string): string {
    assertStorageKey(key);
    const path = resolve(this.root, ...key.split('/'));
    if (!path.startsWith(resolve(this.root) + sep)) throw new Error(`storage key outside the root: ${key}`);
    return path;
  }
}

/** A disk error (full, read-only, no permission) as a 503 naming its code, not the path. */
function diskFailure(doing: string, error: unknown): FileStorageError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new FileStorageError(true, `The file store failed ${doing}: local disk, ${code}`);
}

/** `MES_FILES_DIR` (relative to the project root), default `data/files`. */
export function localFilesDir(env: NodeJS.ProcessEnv, projectRoot: string): string {
  const dir = env.MES_FILES_DIR?.trim();
  return dir ? (isAbsolute(dir) ? dir : resolve(projectRoot, dir)) : join(projectRoot, 'data', 'files');
}
