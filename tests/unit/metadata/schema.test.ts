import { hintOf, located, validateCase } from './fixtures';

describe('meta-schema validation', () => {
  it('maps every schema error to a located diagnostic with a readable message', () => {
    const { diagnostics } = validateCase('schema');
    expect(diagnostics.map(located)).toEqual([
      'schema/typos.yaml:1:1 required missing required property `label`',
      'schema/typos.yaml:2:1 additionalProperties unknown property `lable`',
      'schema/typos.yaml:6:33 type must be an integer, found the string `32`',
      'schema/typos.yaml:6:39 unevaluatedProperties unknown property `requird` on a string field',
      'schema/typos.yaml:7:17 enum must be one of: string, text, integer, decimal, boolean, date, datetime, enum, json, relation, children, many, file, computed; found the string `strin`',
      'schema/typos.yaml:8:3 propertyNames `BadName` is not a valid name here (snake_case expected)',
      'schema/typos.yaml:9:38 unevaluatedProperties unknown property `format` on a relation field',
      'schema/typos.yaml:10:38 type must be a string or an object, found number `1`',
      'schema/typos.yaml:11:36 format `([` is not a valid regex',
      'schema/typos.yaml:12:3 required missing required property `precision`',
      'schema/typos.yaml:14:12 minItems must NOT have fewer than 1 items (found an array of 0 items)',
      'schema/typos.yaml:15:16 pattern `Code` does not match ^-?[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$',
      'schema/workflow-types.yaml:3:10 type must be an integer, found the string `first`',
      'schema/workflow-types.yaml:7:45 type must be a boolean, found the string `yes`',
      'schema/workflow-types.yaml:9:51 type must be an array, found the string `RAW`',
    ]);
  });

  it('hints at the closest allowed value or key', () => {
    const { diagnostics } = validateCase('schema');
    expect(hintOf(diagnostics, '/fields/kind/type')).toBe('did you mean `string`?');
    expect(hintOf(diagnostics, '/fields/owner/format')).toMatch(
      /^allowed here: to, display, onDelete, type, label/,
    );
  });

  it('leaves documents that fail their schema out of the resolved set', () => {
    const { set } = validateCase('schema');
    expect(set.entities.has('typos')).toBe(false);
    expect(set.workflows.has('typed')).toBe(false);
    expect(set.entities.has('shop_order')).toBe(true);
  });
});
