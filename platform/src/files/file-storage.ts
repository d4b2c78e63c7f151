/**
 * Where the bytes of attached files live. The database keeps one `attachment` row per file (name,
 * type, size, SHA-256, storage key); the storage keeps the content under that key. The default is a
 * folder on local disk (`MES_FILES_DIR`, default `data/files`); several instances share it through a
 * mounted volume.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

export interface FileStorage {
  /** Stores `content` under `key` (made by `storageKey`), replacing nothing: keys are unique. */
  put(key: string, content: Buffer): Promise<void>;
  /** The content stored under `key`, or null when it is gone. */
  read(key: string): Promise<Buffer | null>;
  /** Removes the content under `key`; a missing key is not an error. */
  remove(key: string): Promise<void>;
}

/** Storage keys are `<tenant>/<entity>/<record id>/<uuid>`: never a name a client chose. */
const KEY = /^[A-Za-z0-9_-]+\/[a-z][a-z0-9_]*\/\d+\/[0-9a-f-]{36}$/;

export function storageKey(tenant: string, entity: string, recordId: number, uuid: string): string {
  const key = `${tenant}/${entity}/${recordId}/${uuid}`;
  if (!KEY.test(key)) throw new Error(`not a storage key: ${key}`);
  return key;
}

/** Files in a folder on local disk, one file per key. */
export class LocalFileStorage implements FileStorage {
  constructor(readonly root: string) {}

  async put(key: string, content: Buffer): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { flag: 'wx' });
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error(`not a storage key: ${key}`);
    const path = resolve(this.root, ...key.split('/'));
    if (!path.startsWith(resolve(this.root) + sep)) throw new Error(`storage key outside the root: ${key}`);
    return path;
  }
}

/** The storage the server uses: `MES_FILES_DIR` (relative to the project root), default `data/files`. */
export function fileStorageFromEnv(env: NodeJS.ProcessEnv, projectRoot: string): FileStorage {
  const dir = env.MES_FILES_DIR?.trim();
  return new LocalFileStorage(
    dir ? (isAbsolute(dir) ? dir : resolve(projectRoot, dir)) : join(projectRoot, 'data', 'files'),
  );
}
