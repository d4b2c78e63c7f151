import { join } from 'node:path';
import { validateMetadata } from '../../../metadata/src/validator';
import { FIXTURES, hintOf, located, validateCase } from './fixtures';

describe('bad metadata input', () => {
  it('accepts the base fixture (core and a plugin) without a diagnostic', () => {
    const { diagnostics, documents } = validateMetadata([join(FIXTURES, 'base')]);
    expect(diagnostics).toEqual([]);
    expect(documents).toHaveLength(13);
  });

  it('reports YAML and JSON syntax errors, duplicate keys, unknown kinds and non-mapping files with positions', () => {
    const { diagnostics } = validateCase('syntax');
    expect(diagnostics.map(located)).toEqual([
      'syntax/broken.json:3:20 yaml-syntax Block collections are not allowed within flow collections (BLOCK_IN_FLOW)',
      'syntax/broken.json:3:24 yaml-syntax Unexpected double-quoted-scalar token (UNEXPECTED_TOKEN)',
      'syntax/broken.yaml:3:1 yaml-syntax Flow map in block collection must be sufficiently indented and end with a } (BAD_INDENT)',
      'syntax/duplicate-key.yaml:3:1 yaml-syntax Map keys must be unique (DUPLICATE_KEY)',
      'syntax/misnamed-kind.yaml:1:1 document-kind unknown document kind `entty`; the first key must be one of: module, entity, form, workflow, dashboard, rule, role, permission, menu, plugin',
      'syntax/sequence.yaml:1:1 document-shape a metadata file must hold one mapping whose first key names its kind',
    ]);
    expect(hintOf(diagnostics, '/entty')).toBe('did you mean `entity`?');
  });

  it('reports an unknown key with a did-you-mean hint', () => {
    const { diagnostics } = validateCase('schema');
    const typo = diagnostics.find((diagnostic) => diagnostic.path === '/fields/code/requird');
    expect(typo && located(typo)).toBe(
      'schema/typos.yaml:6:39 unevaluatedProperties unknown property `requird` on a string field',
    );
    expect(typo?.hint).toBe('did you mean `required`?');
    expect(hintOf(diagnostics, '/lable')).toBe('did you mean `label`?');
  });

  it('reports a wrong type with the expected and the found type', () => {
    const { diagnostics } = validateCase('schema');
    const wrong = diagnostics.find((diagnostic) => diagnostic.path === '/fields/code/length');
    expect(wrong && located(wrong)).toBe(
      'schema/typos.yaml:6:33 type must be an integer, found the string `32`',
    );
  });

  it('reports a dangling relation with the closest entity name', () => {
    const { diagnostics } = validateCase('entity-refs');
    const dangling = diagnostics.find((diagnostic) => diagnostic.path === '/fields/item/to');
    expect(dangling && located(dangling)).toBe(
      'entity-refs/bad-refs.yaml:8:31 relation-target relation `item` points to unknown entity `itme`',
    );
    expect(dangling?.hint).toBe('did you mean `item`?');
  });

  it('reports a workflow state that is not a value of the state enum, and an enum value without a state', () => {
    const { diagnostics } = validateCase('workflows');
    const states = diagnostics.filter((diagnostic) => diagnostic.rule === 'workflow-states').map(located);
    expect(states).toEqual([
      'workflows/gate-flow.yaml:6:1 workflow-states enum value `CLOSED` of `gate.status` has no state',
      'workflows/gate-flow.yaml:8:3 workflow-states state `SHUT` is not a value of `gate.status`',
    ]);
  });

  it('reports an entity declared by both core and a plugin at both places', () => {
    const { diagnostics } = validateCase('duplicates');
    const clashes = diagnostics.filter((diagnostic) => diagnostic.rule === 'duplicate-name').map(located);
    expect(clashes).toEqual([
      'base/metadata/modules/shop/entities/item.yaml:1:9 duplicate-name entity `item` is also declared in tests/fixtures/metadata/duplicates/plugins/dupe/metadata/entities/item.yaml:1:1 (plugin dupe)',
      'duplicates/plugins/dupe/metadata/entities/item.yaml:1:9 duplicate-name entity `item` is also declared in tests/fixtures/metadata/base/metadata/modules/shop/entities/item.yaml:1:1 (core)',
    ]);
  });

  it('reports a file that cannot be read', () => {
    const { diagnostics } = validateMetadata([join(FIXTURES, 'does-not-exist.yaml')]);
    expect(diagnostics.map((diagnostic) => diagnostic.rule)).toEqual(['file-read']);
  });
});
