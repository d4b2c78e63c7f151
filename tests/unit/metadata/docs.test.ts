import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaObject } from 'ajv';
import { renderMetadataReference } from '../../../generators/src/docs/schema-markdown';
import { KIND_SCHEMAS } from '../../../metadata/src/validator';
import { REPO_ROOT } from './fixtures';

describe('metadata reference docs', () => {
  const rendered = renderMetadataReference();

  it('documents every top-level property of every document kind', () => {
    for (const [kind, schema] of Object.entries(KIND_SCHEMAS)) {
      expect(rendered).toContain(`## \`${kind}\``);
      for (const property of Object.keys((schema.properties ?? {}) as Record<string, SchemaObject>)) {
        expect(rendered).toContain(`| \`${property}\` |`);
      }
    }
  });

  it('has a section per field type with its own properties', () => {
    expect(rendered).toContain('### Field type `decimal`');
    expect(rendered).toContain('### Field type `date` / `datetime`');
    expect(rendered).toMatch(/\| `foreignKey` \| \[name\]\(#def-name\) \| yes \|/);
  });

  it('matches the committed docs/metadata.md', () => {
    expect(readFileSync(join(REPO_ROOT, 'docs', 'metadata.md'), 'utf8')).toBe(rendered);
  });
});
