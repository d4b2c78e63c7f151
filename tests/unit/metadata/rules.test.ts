import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../../metadata/src/rules';
import { validateMetadata } from '../../../metadata/src/validator';
import { FIXTURES, validateCase } from './fixtures';

describe('rule catalogue', () => {
  it('has a failing fixture for every rule', () => {
    const cases = readdirSync(FIXTURES).filter((name) => name !== 'base');
    const produced = new Set(cases.flatMap((name) => validateCase(name).diagnostics.map((d) => d.rule)));
    validateMetadata([join(FIXTURES, 'missing-file.yaml')]).diagnostics.forEach((d) => produced.add(d.rule));
    const untested = Object.keys(RULES).filter((rule) => !produced.has(rule));
    expect(untested).toEqual([]);
  });
});
