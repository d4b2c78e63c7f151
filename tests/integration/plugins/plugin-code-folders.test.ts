import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleActivations } from '../../../platform/src/plugins/plugin-code';

describe('plugin code activation folders', () => {
  let codeRoot: string;

  beforeEach(() => {
    codeRoot = mkdtempSync(join(tmpdir(), 'mes-code-'));
  });
  afterEach(() => rmSync(codeRoot, { recursive: true, force: true }));

  it('removes the folders of ended processes of this host only', () => {
    const folder = (name: string) => {
      const path = join(codeRoot, 'gadgets', name);
      mkdirSync(path, { recursive: true });
      return path;
    };
    const prepared = folder('1.0.0-0123456789abcdef');
    const ended = folder(`1.0.0-0123456789abcdef.run-${hostname()}-2147483646-1`);
    const live = folder(`1.0.0-0123456789abcdef.run-${hostname()}-${process.pid}-1`);
    const otherHost = folder('1.0.0-0123456789abcdef.run-elsewhere.example-2147483646-1');
    removeStaleActivations(codeRoot);
    expect(existsSync(ended)).toBe(false);
    expect([prepared, live, otherHost].map((path) => existsSync(path))).toEqual([true, true, true]);
  });
});
