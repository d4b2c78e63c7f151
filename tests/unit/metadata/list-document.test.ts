import { resolve } from 'node:path';
import { listDocument } from '../../../metadata/src/lists/list-document';
import { listDocumentHash } from '../../../metadata/src/lists/list-hash';
import type { StudioLayer } from '../../../metadata/src/studio/layer';
import { ModelComposer } from '../../../platform/src/plugins/model-composer';
import { ENGINEERING_PROBLEM, engineeringProblemContent } from '../../support/engineering-problem';

const ROOT = resolve(__dirname, '../../..');
const composer = new ModelComposer();

/** The Model with the engineering problem entity published with `list` as its list. */
function withList(list: Record<string, unknown>) {
  const content = engineeringProblemContent();
  const documents = (content.documents as Record<string, unknown>[]).map((document) =>
    document === ENGINEERING_PROBLEM ? { ...ENGINEERING_PROBLEM, list } : document,
  );
  const model = composer.compose(
    { roots: [ROOT], plugins: new Map(), studio: { ...content, documents } as unknown as StudioLayer },
    2,
  );
  return listDocument(model, model.entities.get('engineering_problem')!);
}

describe('the list mapping', () => {
  it('maps fields to record properties and system columns to theirs, in the API syntax', () => {
    const list = withList({
      columns: ['ep_no', 'owner', 'due_date', 'created_at'],
      defaultSort: ['-created_at', 'ep_no'],
      filters: ['severity', 'owner'],
      search: ['title'],
      pageSize: 50,
    });
    expect(list.columns.map((c) => c.field)).toEqual(['epNo', 'ownerId', 'dueDate', 'createdAt']);
    expect(list.columns[1]).toMatchObject({ expand: 'owner', targetPath: 'users', align: 'left' });
    expect(list.defaultSort).toEqual(['-createdAt', 'epNo']);
    expect(list.filters[0]).toMatchObject({
      field: 'severity',
      operators: ['eq', 'in'],
      options: expect.arrayContaining([{ value: 'HIGH', label: { en: 'High', zh: '高' } }]),
    });
    expect(list.search).toEqual(['title']);
    expect(list.pageSize).toBe(50);
  });

  it('leaves out a path through a relation, which the list screen does not show', () => {
    const list = withList({
      columns: ['ep_no', 'owner.username'],
      defaultSort: '-owner.username',
      filters: ['owner.username', 'status'],
    });
    expect(list.columns.map((c) => c.field)).toEqual(['epNo']);
    expect(list.defaultSort).toEqual([]);
    expect(list.filters.map((f) => f.field)).toEqual(['status']);
  });

  it('fingerprints the list: the hash changes with it and only with it', () => {
    const declared = { columns: ['ep_no', 'title'], defaultSort: '-ep_no' };
    const hash = listDocumentHash(withList(declared));
    expect(listDocumentHash(withList(declared))).toBe(hash);
    expect(listDocumentHash(withList({ ...declared, columns: ['title', 'ep_no'] }))).not.toBe(hash);
  });
});
