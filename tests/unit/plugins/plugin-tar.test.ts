import { gunzipSync, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { ArchiveRejectedError, readTarGz, writeTarGz } from '../../../platform/src/plugins/plugin-tar';

const LIMITS = { maxBytes: 1024 * 1024, maxEntries: 100 };

/** A gzipped tar with entries of any kind, as a hostile archive may hold. */
async function rawArchive(
  entries: {
    name: string;
    type?: 'file' | 'symlink' | 'link' | 'directory';
    content?: string;
    linkname?: string;
  }[],
): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  for (const entry of entries) {
    const header = { name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname };
    if (header.type === 'file') archive.entry(header, entry.content ?? '');
    else archive.entry(header);
  }
  archive.finalize();
  await collected;
  return gzipSync(Buffer.concat(chunks));
}

async function rejection(archive: Buffer, limits = LIMITS): Promise<ArchiveRejectedError> {
  const error = await readTarGz(archive, limits).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArchiveRejectedError);
  return error as ArchiveRejectedError;
}

describe('plugin package archives', () => {
  it('reads back what it wrote, long paths included, in sorted order', async () => {
    const deep = `p/${'folder/'.repeat(20)}file.yaml`;
    const archive = await writeTarGz([
      { path: 'p/plugin.yaml', content: Buffer.from('plugin: p') },
      { path: deep, content: Buffer.from('deep') },
    ]);
    const files = await readTarGz(archive, LIMITS);
    expect(files.map((f) => [f.path, f.content.toString()])).toEqual([
      [deep, 'deep'],
      ['p/plugin.yaml', 'plugin: p'],
    ]);
  });

  it('writes the same bytes for the same files', async () => {
    const files = [{ path: 'p/a.txt', content: Buffer.from('a') }];
    expect((await writeTarGz(files)).equals(await writeTarGz(files))).toBe(true);
  });

  it('skips folders and refuses symbolic and hard links', async () => {
    const withFolder = await rawArchive([
      { name: 'p/', type: 'directory' },
      { name: 'p/a.txt', content: 'a' },
    ]);
    expect((await readTarGz(withFolder, LIMITS)).map((f) => f.path)).toEqual(['p/a.txt']);
    for (const type of ['symlink', 'link'] as const) {
      const error = await rejection(await rawArchive([{ name: 'p/passwd', type, linkname: '/etc/passwd' }]));
      expect(error.rule).toBe('entry-type');
      expect(error.message).toContain(`p/passwd: only files and folders are allowed (entry type ${type})`);
    }
  });

  it('refuses paths that leave the package', async () => {
    for (const name of ['../up.txt', 'p/../../up.txt', '/etc/passwd', 'C:/x.txt', 'p\\x.txt']) {
      const error = await rejection(await rawArchive([{ name, content: 'x' }]));
      expect({ name, rule: error.rule }).toEqual({ name, rule: 'path-traversal' });
    }
  });

  it('refuses more entries or more bytes than the limits', async () => {
    const many = await rawArchive([1, 2, 3].map((n) => ({ name: `p/${n}.txt`, content: 'x' })));
    expect((await rejection(many, { maxBytes: 1024, maxEntries: 2 })).rule).toBe('limit');
    const large = await rawArchive([{ name: 'p/big.txt', content: 'x'.repeat(4096) }]);
    expect((await rejection(large, { maxBytes: 1024, maxEntries: 10 })).rule).toBe('limit');
  });

  it('refuses bodies that are not gzip, and gzip that is not a tar', async () => {
    expect((await rejection(Buffer.from('plain text'))).rule).toBe('gzip');
    expect((await rejection(gzipSync(Buffer.from('plain text, gzipped')))).rule).toBe('tar');
    const archive = await writeTarGz([{ path: 'p/a.txt', content: Buffer.from('a'.repeat(2000)) }]);
    const truncated = gzipSync(gunzipSync(archive).subarray(0, 1024));
    expect((await rejection(truncated)).rule).toBe('tar');
  });
});
