/**
 * The subset of the POSIX ustar format a plugin package needs: regular files and folders, written
 * reproducibly (sorted, mtime 0, no owner) and read with every entry checked, so an uploaded archive
 * can never write outside the folder it is unpacked into.
 */
import { gunzipSync, gzipSync } from 'node:zlib';

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

/** A gzipped tar of the files (folders are implied by the paths). */
export function writeTarGz(files: readonly TarFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    blocks.push(header(file.path, file.content.length));
    blocks.push(file.content);
    const padding = (BLOCK - (file.content.length % BLOCK)) % BLOCK;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}

/**
 * Reads a gzipped tar: regular files only (folders skipped; links, devices and unknown entry types
 * refused), each path relative, free of `..`, backslashes and NUL, within the limits.
 */
export function readTarGz(archive: Buffer, limits: ReadLimits): TarFile[] {
  let tar: Buffer;
  try {
    // The tar framing adds at most a block per entry plus padding beyond the file contents.
    tar = gunzipSync(archive, { maxOutputLength: limits.maxBytes + BLOCK * 2 * (limits.maxEntries + 2) });
  } catch (error) {
    throw new ArchiveRejectedError(
      'gzip',
      `not a gzip archive within ${limits.maxBytes} bytes unpacked: ${(error as Error).message}`,
    );
  }
  const files: TarFile[] = [];
  let total = 0;
  let entries = 0;
  let longName: string | null = null;
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    if (!checksumMatches(block))
      throw new ArchiveRejectedError('tar', `corrupt tar header at byte ${offset}`);
    const size = octal(block.subarray(124, 136));
    const type = String.fromCharCode(block[156] || 48);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length)
      throw new ArchiveRejectedError('tar', `truncated tar entry at byte ${offset}`);
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (++entries > limits.maxEntries)
      throw new ArchiveRejectedError('limit', `more than ${limits.maxEntries} entries`);
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const path = longName ?? entryName(block);
    longName = null;
    if (type === '5') {
      checkedPath(path);
      continue;
    }
    if (type === 'x' || type === 'g') continue;
    if (type !== '0' && type !== '7')
      throw new ArchiveRejectedError(
        'entry-type',
        `${path}: only files and folders are allowed (entry type ${type})`,
      );
    total += size;
    if (total > limits.maxBytes)
      throw new ArchiveRejectedError('limit', `unpacks to more than ${limits.maxBytes} bytes`);
    files.push({ path: checkedPath(path), content: Buffer.from(data) });
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

function header(path: string, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length <= 100) bytes.copy(block, 0);
  else {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100)
      throw new Error(`path too long for a plugin package: ${path}`);
    Buffer.from(path.slice(cut + 1)).copy(block, 0);
    Buffer.from(path.slice(0, cut)).copy(block, 345);
  }
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  block.write('00000000000\0', 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('0', 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return block;
}

function entryName(block: Buffer): string {
  const name = cString(block.subarray(0, 100));
  const isUstar = block.subarray(257, 262).toString('ascii') === 'ustar';
  const prefix = isUstar ? cString(block.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function checksumMatches(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === octal(block.subarray(148, 156));
}

function octal(field: Buffer): number {
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) throw new ArchiveRejectedError('tar', `bad number in tar header: ${text}`);
  return text.length === 0 ? 0 : parseInt(text, 8);
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}
