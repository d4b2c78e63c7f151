/**
 * Plugin packages are gzipped tar archives (tar-stream): written reproducibly (sorted, mtime 0, no
 * owner) and read with every entry checked, so an uploaded archive can never write outside the
 * folder it is unpacked into.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { extract, pack } from 'tar-stream';

const gzipped = promisify(gzip);
const gunzipped = promisify(gunzip);

/** Tar framing beyond the file contents: a header block per entry plus padding, then the end blocks. */
const BLOCK = 512;

export interface TarFile {
  /** Relative path with `/` separators. */
  path: string;
  content: Buffer;
}

/** The archive is not a plugin package this reader accepts; `rule` names the check that failed. */
export class ArchiveRejectedError extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveRejectedError';
  }
}

export interface ReadLimits {
  /** Largest unpacked size of all files together. */
  maxBytes: number;
  maxEntries: number;
}

/** A gzipped tar of the files (folders are implied by the paths); the same files give the same bytes. */
export async function writeTarGz(files: readonly TarFile[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    archive.entry(
      { name: file.path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) },
      file.content,
    );
  archive.finalize();
  await collected;
  return gzipped(Buffer.concat(chunks), { level: 9 });
}

/**
 * Reads a gzipped tar: regular files only (folders skipped; links, devices and other entry types
 * refused), each path relative, free of `..`, backslashes and NUL, within the limits.
 */
export async function readTarGz(archive: Buffer, limits: ReadLimits): Promise<TarFile[]> {
  let tar: Buffer;
  try {
    tar = await gunzipped(archive, {
      maxOutputLength: limits.maxBytes + BLOCK * 2 * (limits.maxEntries + 2),
    });
  } catch (error) {
    throw new ArchiveRejectedError(
      'gzip',
      `not a gzip archive within ${limits.maxBytes} bytes unpacked: ${(error as Error).message}`,
    );
  }
  const reader = extract();
  const read = readEntries(reader, limits);
  reader.end(tar);
  try {
    return await read;
  } catch (error) {
    if (error instanceof ArchiveRejectedError) throw error;
    throw new ArchiveRejectedError('tar', `not a valid tar archive: ${(error as Error).message}`);
  }
}

async function readEntries(reader: ReturnType<typeof extract>, limits: ReadLimits): Promise<TarFile[]> {
  const files: TarFile[] = [];
  let total = 0;
  let entries = 0;
  for await (const entry of reader) {
    const { name, type, size = 0 } = entry.header;
    if (++entries > limits.maxEntries)
      throw new ArchiveRejectedError('limit', `more than ${limits.maxEntries} entries`);
    if (type === 'directory') {
      checkedPath(name);
      entry.resume();
      continue;
    }
    if (type !== 'file' && type !== 'contiguous-file')
      throw new ArchiveRejectedError(
        'entry-type',
        `${name}: only files and folders are allowed (entry type ${type ?? 'unknown'})`,
      );
    const path = checkedPath(name);
    total += size;
    if (total > limits.maxBytes)
      throw new ArchiveRejectedError('limit', `unpacks to more than ${limits.maxBytes} bytes`);
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    files.push({ path, content: Buffer.concat(chunks) });
  }
  return files;
}

/** A relative path inside the archive root; anything that could escape it is refused. */
function checkedPath(raw: string): string {
  const path = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  const segments = path.split('/');
  if (
    path.length === 0 ||
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((segment) => segment === '..' || segment === '')
  )
    throw new ArchiveRejectedError('path-traversal', `unsafe path in archive: ${JSON.stringify(raw)}`);
  return path;
}
