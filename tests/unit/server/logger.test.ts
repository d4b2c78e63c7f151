import { Writable } from 'node:stream';
import { createLogger, resolveLogFormat } from '../../../platform/src/ops/logger';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log format', () => {
  it('pretty-prints only at a development terminal unless told otherwise', () => {
    const terminal = { stdout: true, isTTY: true, production: false };
    expect(resolveLogFormat('auto', terminal)).toBe('pretty');
    expect(resolveLogFormat('auto', { ...terminal, isTTY: false })).toBe('json');
    expect(resolveLogFormat('auto', { ...terminal, production: true })).toBe('json');
    expect(resolveLogFormat('auto', { ...terminal, stdout: false })).toBe('json');
    expect(resolveLogFormat('json', terminal)).toBe('json');
    expect(resolveLogFormat('pretty', { stdout: false, isTTY: false, production: true })).toBe('pretty');
  });

  it('writes JSON lines by default and readable lines when pretty', () => {
    const json = sink();
    createLogger('info', json.stream).info({ traceId: 't-1' }, 'request completed');
    expect(JSON.parse(json.text())).toMatchObject({ level: 30, traceId: 't-1', msg: 'request completed' });

    const pretty = sink();
    createLogger('info', pretty.stream, 'pretty').info({ traceId: 't-2' }, 'request completed');
    expect(pretty.text()).toMatch(/INFO.*request completed/);
    expect(pretty.text()).toContain('traceId: "t-2"');
    expect(() => JSON.parse(pretty.text())).toThrow(SyntaxError);
  });
});
