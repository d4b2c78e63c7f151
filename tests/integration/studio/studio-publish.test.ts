/**
 * The Metadata Studio over HTTP, as the roles that do the job, on SQLite and MariaDB: the analyst
 * drafts acceptance scenario 14 ("Engineering Problem") as a change set and cannot publish it; a
 * reviewer publishes it (table created, Model swapped, version and METADATA_CHANGE audit recorded);
 * the operator creates a record; bad names are refused with their rule on their element; concurrent
 * edits and stale bases are 409; a field added to the core inspection form reaches the tenant's
 * inspectors only; rollback hides it and keeps the data.
 */
import { engineeringProblemContent } from '../../support/engineering-problem';
import { seedDemoSecurity } from '../../../platform/src/security/demo-seed';
import {
  PASSWORD,
  startSecurityServer,
  type Dialect,
  type Reply,
  type SecurityServer,
} from '../security/security-server';
import { dataOf, studioClient, type ChangeSet } from './studio-client';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<Dialect>(TEST_DIALECTS)('Metadata Studio on %s', (dialect) => {
  let mes: SecurityServer;
  const { draft, submit, publish } = studioClient(() => mes);
  const inspectionFormNames = async (username: string): Promise<string[]> =>
    JSON.stringify(dataOf(await mes.call(username, 'GET', '/api/ui/forms/inspection'))).match(
      /"name":"[a-zA-Z]+"/g,
    ) ?? [];

  beforeAll(async () => {
    mes = await startSecurityServer(dialect, 'studio');
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  it('publishes the analyst\'s "Engineering Problem" through review; the operator then creates one', async () => {
    expect((await mes.call('operator', 'GET', '/api/studio/change-sets')).statusCode).toBe(403);
    const created = await draft('Engineering problems', engineeringProblemContent());
    expect(created.csNo).toMatch(/^CS-\d{8}-\d{3}$/);
    expect(created.status).toBe('DRAFT');

    const preview = dataOf<{
      valid: boolean;
      diff: { schema: { kind: string; table: string }[]; api: { added: string[] } };
    }>(await mes.call('analyst', 'GET', `/api/studio/change-sets/${created.id}/preview`));
    expect(preview.valid).toBe(true);
    expect(preview.diff.schema).toContainEqual(
      expect.objectContaining({ kind: 'createTable', table: 'engineering_problem' }),
    );
    expect(preview.diff.api.added).toEqual(['/api/engineering-problems']);

    const inReview = await submit(created);
    expect(inReview.status).toBe('IN_REVIEW');
    const refused = await publish(inReview, 'analyst');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toContain('metadata:publish');
    // The generic action route cannot publish around the schema migration.
    const around = await mes.call('reviewer', 'POST', `/api/change-sets/${created.id}/actions/publish`, {
      version: inReview.version,
      fields: { publishedVersion: 1 },
    });
    expect(around.statusCode).toBe(409);

    const published = dataOf<{ version: number; record: ChangeSet & { publishedVersion: number } }>(
      await publish(inReview),
    );
    expect(published.version).toBe(1);
    expect(published.record).toMatchObject({ status: 'PUBLISHED', publishedVersion: 1 });
    const [audit] = await mes.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'METADATA_CHANGE' AND entity_name = 'change_set' AND record_id = ?",
      [created.csNo],
    );
    expect(Number(audit.n)).toBe(1);

    const problem = await mes.call('operator', 'POST', '/api/engineering-problems', {
      title: 'Housing cracks at the boss',
      severity: 'HIGH',
      dueDate: '2026-12-24',
    });
    expect(problem.statusCode).toBe(201);
    expect(problem.json().data).toMatchObject({ status: 'OPEN', severity: 'HIGH' });
    expect(problem.json().data.epNo).toMatch(/^EP-\d{8}-001$/);
    expect(
      (await mes.call('operator', 'GET', '/api/engineering-problems?filter[severity][eq]=HIGH')).json().data
        .total,
    ).toBe(1);
    const menu = JSON.stringify(dataOf(await mes.call('operator', 'GET', '/api/auth/me')));
    expect(menu).toContain('engineering_problem');
  });

  it('refuses reserved words, system columns and existing entities with the rule on the element', async () => {
    const { documents } = engineeringProblemContent() as { documents: Record<string, unknown>[] };
    const entity = documents[0] as { fields: Record<string, unknown> };
    const check = dataOf<{ valid: boolean; errors: { document: string; path: string; rule: string }[] }>(
      await mes.call('analyst', 'POST', '/api/studio/validate', {
        content: {
          documents: [
            {
              ...entity,
              entity: 'bad_problem',
              form: undefined,
              workflow: undefined,
              fields: {
                ...entity.fields,
                select: { type: 'string', label: { en: 'Select', zh: '选择' } },
                created_at: { type: 'datetime', label: { en: 'Created', zh: '创建' } },
              },
            },
            { ...entity, entity: 'work_order', form: undefined, workflow: undefined },
          ],
        },
      }),
    );
    expect(check.valid).toBe(false);
    expect(check.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          document: 'studio/entity/bad_problem',
          path: '/fields/select',
          rule: 'reserved-word',
        }),
        expect.objectContaining({
          document: 'studio/entity/bad_problem',
          path: '/fields/created_at',
          rule: 'system-column',
        }),
        expect.objectContaining({ document: 'studio/entity/work_order', rule: 'duplicate-name' }),
      ]),
    );
  });

  it('refuses a studio entity whose table the database already holds, naming only that entity', async () => {
    await mes.server.dataSource.query('CREATE TABLE legacy_gauge (id INT PRIMARY KEY)');
    const { documents } = engineeringProblemContent() as { documents: Record<string, unknown>[] };
    const entity = { ...documents[0], form: undefined, workflow: undefined };
    const check = dataOf<{ valid: boolean; errors: { document: string; path: string; rule: string }[] }>(
      await mes.call('analyst', 'POST', '/api/studio/validate', {
        content: {
          documents: [
            { ...entity, entity: 'legacy_gauge' },
            { ...entity, entity: 'fresh_gauge' },
          ],
        },
      }),
    );
    expect(check.valid).toBe(false);
    expect(check.errors.filter((e) => e.rule === 'duplicate-table')).toEqual([
      expect.objectContaining({ document: 'studio/entity/legacy_gauge', path: '/entity' }),
    ]);
  });

  it('answers 409 to a stale edit and to publishing on top of a newer version', async () => {
    const stale = await draft('Made on version 1', { documents: [] });
    const first = await mes.call('analyst', 'PATCH', `/api/studio/change-sets/${stale.id}`, {
      version: stale.version,
      description: 'first edit',
    });
    expect(first.statusCode).toBe(200);
    const second = await mes.call('analyst', 'PATCH', `/api/studio/change-sets/${stale.id}`, {
      version: stale.version,
      description: 'second edit',
    });
    expect(second.statusCode).toBe(409);

    const newer = await submit(
      await draft('Label change', { grants: { business_analyst: ['engineering_problem:create'] } }),
    );
    expect((await publish(newer)).statusCode).toBe(200);
    const behind = await submit(dataOf<ChangeSet>(first));
    const conflict = await publish(behind);
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().message).toContain('rebase');
    const reopened = dataOf<{ record: ChangeSet }>(
      await mes.call('analyst', 'POST', `/api/studio/change-sets/${behind.id}/actions/reopen`, {
        version: behind.version,
      }),
    ).record;
    const rebased = dataOf<ChangeSet>(
      await mes.call('analyst', 'POST', `/api/studio/change-sets/${behind.id}/rebase`, {
        version: reopened.version,
      }),
    );
    expect((await publish(await submit(rebased))).statusCode).toBe(200);
  });

  it('refuses a publisher who wrote the changes or whose own role they change (separation of duties)', async () => {
    const refusedFor = (reply: Reply) => {
      expect(reply.statusCode).toBe(403);
      const body = reply.json() as { message: string; errors: { rule: string }[] };
      expect(body.errors).toEqual([expect.objectContaining({ rule: 'separation-of-duties' })]);
      return body.message;
    };
    // The reviewer may draft (metadata:edit), but not publish what they wrote, even via the action route.
    const own = dataOf<ChangeSet>(
      await mes.call('reviewer', 'POST', '/api/studio/change-sets', {
        title: 'Reviewer drafts a grant',
        content: { grants: { operator: ['change_set:read'] } },
      }),
    );
    const ownInReview = dataOf<{ record: ChangeSet }>(
      await mes.call('reviewer', 'POST', `/api/studio/change-sets/${own.id}/actions/submit`, {
        version: own.version,
      }),
    ).record;
    expect(refusedFor(await publish(ownInReview))).toContain('you created it or edited its content');
    const actions = dataOf<{ action: string }[]>(
      await mes.call('reviewer', 'GET', `/api/change-sets/${own.id}/actions`),
    );
    expect(actions.map((a) => a.action)).not.toContain('publish');

    // The analyst's change set, edited by the reviewer while in draft: the reviewer is an editor now.
    const analysts = await draft('Analyst drafts a grant', { grants: { operator: ['change_set:read'] } });
    const touched = dataOf<ChangeSet>(
      await mes.call('reviewer', 'PATCH', `/api/studio/change-sets/${analysts.id}`, {
        version: analysts.version,
        content: { grants: { operator: ['change_set:read', 'saved_view:export'] } },
      }),
    );
    refusedFor(await publish(await submit(touched)));

    // Granting the reviewer's own role: someone who does not hold it publishes.
    const selfGrant = await submit(
      await draft('Reviewers read dictionaries', { grants: { metadata_reviewer: ['dictionary:read'] } }),
    );
    expect(refusedFor(await publish(selfGrant))).toContain('metadata_reviewer');
    expect((await publish(selfGrant, 'admin')).statusCode).toBe(200);

    // A reviewer who only retitles or rebases a change set has not written its changes: they publish it.
    const plain = await draft('Operators read change sets', { grants: { operator: ['change_set:read'] } });
    const retitled = dataOf<ChangeSet>(
      await mes.call('reviewer', 'PATCH', `/api/studio/change-sets/${plain.id}`, {
        version: plain.version,
        title: 'Operators may read change sets',
      }),
    );
    expect((await publish(await submit(retitled))).statusCode).toBe(200);
  });

  it("adds a field to the core inspection form for this tenant's inspectors; rollback hides it, data kept", async () => {
    expect(await inspectionFormNames('inspector')).not.toContain('"name":"lineStopped"');
    const [{ version: before }] = dataOf<{ version: number }[]>(
      await mes.call('analyst', 'GET', '/api/studio/versions'),
    );
    const changeSet = await submit(
      await draft('Line stop on inspections', {
        extensionFields: [
          {
            entity: 'inspection',
            name: 'line_stopped',
            definition: { type: 'boolean', label: { en: 'Line stopped', zh: '停线' } },
          },
        ],
        formOverlays: [
          {
            entity: 'inspection',
            overlay: {
              fields: { line_stopped: { section: 0, help: { en: 'Was the line stopped?', zh: '是否停线' } } },
            },
          },
        ],
      }),
    );
    expect((await publish(changeSet)).statusCode).toBe(200);
    expect(await inspectionFormNames('inspector')).toContain('"name":"lineStopped"');

    // The same role in another tenant does not get it.
    await seedDemoSecurity(mes.database, mes.server.registry.current(), 'OTHER', {
      MES_DEMO_PASSWORD: PASSWORD,
    });
    const login = await mes.server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { tenant: 'OTHER', username: 'inspector', password: PASSWORD },
    });
    const otherForm = await mes.server.app.inject({
      method: 'GET',
      url: '/api/ui/forms/inspection',
      headers: { authorization: `Bearer ${String(login.json().data.accessToken)}` },
    });
    expect(otherForm.statusCode).toBe(200);
    expect(otherForm.body).toContain('"name":"inspectionType"');
    expect(otherForm.body).not.toContain('"name":"lineStopped"');

    const [inspector] = await mes.query<{ id: number }>(
      "SELECT id FROM sys_user WHERE tenant_id = 'DEMO' AND username = 'inspector'",
    );
    const uom = dataOf<{ id: number }>(
      await mes.call('admin', 'POST', '/api/units', { uomCode: 'PCS', uomName: 'Pieces' }),
    );
    const item = dataOf<{ id: number }>(
      await mes.call('admin', 'POST', '/api/items', { itemName: 'Housing', itemType: 'RAW', uomId: uom.id }),
    );
    const box = dataOf<{ boxNo: string }>(await mes.call('admin', 'POST', '/api/boxes', { itemId: item.id }));
    const inspection = dataOf<{ id: number }>(
      await mes.call('inspector', 'POST', '/api/inspections', {
        inspectionType: 'IPQC',
        refType: 'BOX',
        refId: box.boxNo,
        inspectorId: Number(inspector.id),
        inspectionDate: '2026-12-06T08:00:00Z',
        lineStopped: true,
      }),
    );
    const rolledBack = await mes.call('reviewer', 'POST', '/api/studio/rollback', { version: before });
    expect(rolledBack.statusCode).toBe(200);
    expect(await inspectionFormNames('inspector')).not.toContain('"name":"lineStopped"');
    const read = dataOf<Record<string, unknown>>(
      await mes.call('inspector', 'GET', `/api/inspections/${inspection.id}`),
    );
    expect(read).not.toHaveProperty('lineStopped');
    const [row] = await mes.query<{ ext: string | Record<string, unknown> }>(
      'SELECT ext FROM inspection WHERE id = ?',
      [inspection.id],
    );
    const ext = typeof row.ext === 'string' ? (JSON.parse(row.ext) as Record<string, unknown>) : row.ext;
    expect(ext.line_stopped).toBe(true);
    // The engineering problems published before stay served.
    expect((await mes.call('operator', 'GET', '/api/engineering-problems')).statusCode).toBe(200);
    const history = dataOf<{ version: number; rollbackOf?: number }[]>(
      await mes.call('analyst', 'GET', '/api/studio/versions'),
    );
    expect(history[0]).toMatchObject({ rollbackOf: before });
  });

  describe('a studio entity over its life', () => {
    const label = (en: string) => ({ en, zh: en });
    const noteEntity = (fields: Record<string, unknown>) => ({
      entity: 'field_note',
      label: label('Field note'),
      module: 'quality',
      database: 'core',
      display: 'title',
      fields,
      list: { columns: ['title'] },
      form: 'field_note',
    });
    const noteForm = (fields: unknown[]) => ({
      form: 'field_note',
      entity: 'field_note',
      sections: [{ title: label('Note'), fields }],
    });
    const baseFields = {
      title: { type: 'string', length: 80, required: true, label: label('Title') },
      locked: { type: 'boolean', default: false, label: label('Locked') },
      remark: { type: 'string', length: 200, label: label('Remark') },
      code: { type: 'string', length: 20, readonlyWhen: 'locked == true', label: label('Code') },
    };
    const remarkRef = { field: 'remark', readonlyWhen: "locked == true or title == 'frozen'" };
    const publishAll = async (title: string, content: unknown, as = 'reviewer') => {
      const changeSet = await submit(await draft(title, content));
      const reply = await publish(changeSet, as);
      expect(reply.statusCode).toBe(200);
      return changeSet;
    };
    let noteId = 0;

    it('serves readonlyWhen in the form and refuses a write that changes a field while it holds', async () => {
      await publishAll('Field notes', {
        documents: [noteEntity(baseFields), noteForm(['title', 'locked', remarkRef, 'code'])],
        grants: { operator: ['field_note:read', 'field_note:create', 'field_note:update'] },
      });
      const form = JSON.stringify(dataOf(await mes.call('operator', 'GET', '/api/ui/forms/field_note')));
      expect(form).toContain('"disabled":"$: (($get(field_note__locked).value == true)');
      expect(form).toContain('"disabled":"$: ($get(field_note__locked).value == true)"');

      const note = dataOf<{ id: number; version: number }>(
        await mes.call('operator', 'POST', '/api/field-notes', {
          title: 'Pump 3',
          remark: 'noisy',
          code: 'P3',
        }),
      );
      noteId = note.id;
      const locked = dataOf<{ version: number }>(
        await mes.call('operator', 'PATCH', `/api/field-notes/${note.id}`, {
          version: note.version,
          locked: true,
          remark: 'noisy bearing',
        }),
      );
      const refused = await mes.call('operator', 'PATCH', `/api/field-notes/${note.id}`, {
        version: locked.version,
        remark: 'changed after locking',
        code: 'P4',
      });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'remark', rule: 'readonlyWhen', path: '/remark' }),
          expect.objectContaining({ field: 'code', rule: 'readonlyWhen', limit: 'locked == true' }),
        ]),
      );
      // The whole record sent back unchanged passes; so does a field without a condition.
      const unchanged = await mes.call('operator', 'PATCH', `/api/field-notes/${note.id}`, {
        version: locked.version,
        title: 'Pump 3, north line',
        remark: 'noisy bearing',
        code: 'P3',
      });
      expect(unchanged.statusCode).toBe(200);
      const created = await mes.call('operator', 'POST', '/api/field-notes', {
        title: 'Pump 4',
        locked: true,
        code: 'P4',
      });
      expect(created.statusCode).toBe(422);
      expect(created.json().errors).toEqual([
        expect.objectContaining({ field: 'code', rule: 'readonlyWhen' }),
      ]);
      const invalid = dataOf<{ valid: boolean; errors: { path: string; rule: string }[] }>(
        await mes.call('analyst', 'POST', '/api/studio/validate', {
          content: {
            documents: [noteEntity(baseFields), noteForm([{ field: 'remark', readonlyWhen: 'lockd' }])],
          },
        }),
      );
      expect(invalid.errors).toContainEqual(
        expect.objectContaining({ path: '/sections/0/fields/0/readonlyWhen', rule: 'expression-field' }),
      );
    });

    it('renames a field keeping its data; dropping a column needs metadata:publish_destructive', async () => {
      const { remark, code, ...rest } = baseFields;
      await publishAll('Remark becomes finding', {
        documents: [
          noteEntity({ ...rest, finding: { ...remark, renamedFrom: 'remark' }, code }),
          noteForm(['title', 'locked', { ...remarkRef, field: 'finding' }, 'code']),
        ],
      });
      const renamed = dataOf<Record<string, unknown>>(
        await mes.call('operator', 'GET', `/api/field-notes/${noteId}`),
      );
      expect(renamed).toMatchObject({ finding: 'noisy bearing', title: 'Pump 3, north line' });
      expect(renamed).not.toHaveProperty('remark');

      const archive = await submit(
        await draft('Drop the code', {
          documents: [
            noteEntity({ ...rest, finding: { ...remark, renamedFrom: 'remark' } }),
            noteForm(['title', 'locked', 'finding']),
          ],
        }),
      );
      const preview = dataOf<{ destructive: boolean; diff: { dropped?: { kind: string; name: string }[] } }>(
        await mes.call('analyst', 'GET', `/api/studio/change-sets/${archive.id}/preview`),
      );
      expect(preview.destructive).toBe(false);
      expect(preview.diff.dropped).toEqual([
        expect.objectContaining({ kind: 'dropColumn', name: 'code', destructive: true }),
      ]);
      const withoutRight = await mes.call(
        'reviewer',
        'POST',
        `/api/studio/change-sets/${archive.id}/publish`,
        {
          version: archive.version,
          confirmDestructive: true,
        },
      );
      expect(withoutRight.statusCode).toBe(403);
      expect(withoutRight.json().message).toContain('metadata:publish_destructive');
      const dropped = await mes.call('admin', 'POST', `/api/studio/change-sets/${archive.id}/publish`, {
        version: archive.version,
        confirmDestructive: true,
      });
      expect(dropped.statusCode).toBe(200);
      const [row] = await mes.query<Record<string, unknown>>('SELECT * FROM field_note WHERE id = ?', [
        noteId,
      ]);
      expect(row).not.toHaveProperty('code');
      expect(row).toMatchObject({ title: 'Pump 3, north line', finding: 'noisy bearing' });
      expect(Boolean(Number(row.locked))).toBe(true);
      const read = dataOf<Record<string, unknown>>(
        await mes.call('operator', 'GET', `/api/field-notes/${noteId}`),
      );
      expect(read).toMatchObject({ finding: 'noisy bearing', locked: true });
      expect(read).not.toHaveProperty('code');
    });

    it('renames the entity (label and API path, old path kept) and archives and restores it, data kept', async () => {
      const { remark, code: _code, ...rest } = baseFields;
      const fields = { ...rest, finding: { ...remark, renamedFrom: 'remark' } };
      const form = noteForm(['title', 'locked', 'finding']);
      const menu = {
        menu: 'field_notes',
        label: label('Field notes'),
        module: 'quality',
        items: [{ id: 'field_note', label: label('Notes'), entity: 'field_note' }],
      };
      const menuOf = async () => JSON.stringify(dataOf(await mes.call('operator', 'GET', '/api/auth/me')));
      const clash = dataOf<{ errors: { path: string; rule: string }[] }>(
        await mes.call('analyst', 'POST', '/api/studio/validate', {
          content: { documents: [{ ...noteEntity(fields), pathAliases: ['engineering-problems'] }, form] },
        }),
      );
      expect(clash.errors).toContainEqual(
        expect.objectContaining({ path: '/pathAliases/0', rule: 'duplicate-path' }),
      );

      const renamed = {
        ...noteEntity(fields),
        label: label('Site note'),
        path: 'site-notes',
        pathAliases: ['field-notes'],
      };
      await publishAll('Field notes become site notes', { documents: [renamed, form, menu] });
      expect(await menuOf()).toContain('"entity":"field_note"');
      const viaNew = dataOf<{ finding: string; version: number }>(
        await mes.call('operator', 'GET', `/api/site-notes/${noteId}`),
      );
      expect(viaNew.finding).toBe('noisy bearing');
      const viaOld = dataOf<{ finding: string }>(
        await mes.call('operator', 'GET', `/api/field-notes/${noteId}`),
      );
      expect(viaOld.finding).toBe('noisy bearing');
      const meta = JSON.stringify(dataOf(await mes.call('operator', 'GET', '/api/meta/entities/field_note')));
      expect(meta).toContain('Site note');
      const [{ n }] = await mes.query<{ n: number }>('SELECT COUNT(*) AS n FROM field_note');
      expect(Number(n)).toBeGreaterThan(0);

      await publishAll('Archive site notes', { documents: [{ ...renamed, archived: true }, form, menu] });
      expect(await menuOf()).not.toContain('"entity":"field_note"');
      const kept = dataOf<{ finding: string; version: number }>(
        await mes.call('operator', 'GET', `/api/site-notes/${noteId}`),
      );
      expect(kept.finding).toBe('noisy bearing');
      for (const refused of [
        await mes.call('operator', 'POST', '/api/site-notes', { title: 'After archiving' }),
        await mes.call('operator', 'PATCH', `/api/site-notes/${noteId}`, {
          version: kept.version,
          title: 'x',
        }),
        await mes.call('operator', 'PATCH', `/api/field-notes/${noteId}`, {
          version: kept.version,
          title: 'y',
        }),
      ]) {
        expect(refused.statusCode).toBe(422);
        expect(refused.json().errors).toEqual([expect.objectContaining({ rule: 'archived' })]);
      }

      await publishAll('Restore site notes', { documents: [renamed, form, menu] });
      expect(await menuOf()).toContain('"entity":"field_note"');
      const restored = await mes.call('operator', 'PATCH', `/api/site-notes/${noteId}`, {
        version: kept.version,
        title: 'Pump 3, restored',
      });
      expect(restored.statusCode).toBe(200);
      expect(restored.json().data).toMatchObject({ title: 'Pump 3, restored', finding: 'noisy bearing' });
    });

    it("honours readonlyWhen on a transition's fields: the field's own and the transition's", async () => {
      const check = {
        entity: 'field_check',
        label: label('Field check'),
        module: 'quality',
        database: 'core',
        display: 'title',
        fields: {
          title: { type: 'string', length: 80, required: true, label: label('Title') },
          urgent: { type: 'boolean', default: false, label: label('Urgent') },
          finding: { type: 'string', length: 200, label: label('Finding') },
          remark: { type: 'string', length: 200, readonlyWhen: 'urgent == true', label: label('Remark') },
          status: { type: 'enum', values: ['OPEN', 'DONE'], default: 'OPEN', label: label('Status') },
        },
        list: { columns: ['title', 'status'] },
        workflow: 'field_check_flow',
      };
      const flow = (readonlyWhen: Record<string, string>) => ({
        workflow: 'field_check_flow',
        entity: 'field_check',
        version: 1,
        label: label('Field check flow'),
        initial: 'OPEN',
        states: { OPEN: { label: label('Open') }, DONE: { label: label('Done'), final: true } },
        transitions: [
          {
            action: 'close',
            label: label('Close'),
            from: ['OPEN'],
            to: 'DONE',
            requiredFields: ['finding'],
            optionalFields: ['remark'],
            readonlyWhen,
          },
        ],
      });
      const invalid = dataOf<{ errors: { path: string; rule: string }[] }>(
        await mes.call('analyst', 'POST', '/api/studio/validate', {
          content: { documents: [check, flow({ title: 'urgent', finding: 'urgnt == true' })] },
        }),
      );
      expect(invalid.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: '/transitions/0/readonlyWhen/title', rule: 'workflow-field' }),
          expect.objectContaining({ path: '/transitions/0/readonlyWhen/finding', rule: 'expression-field' }),
        ]),
      );
      await publishAll('Field checks', {
        documents: [check, flow({ finding: "title == 'sealed'" })],
        grants: {
          operator: ['field_check:read', 'field_check:create', 'field_check:update', 'field_check:close'],
        },
      });
      const open = async (title: string, urgent: boolean) =>
        dataOf<{ id: number; version: number }>(
          await mes.call('operator', 'POST', '/api/field-checks', { title, urgent, finding: 'seen' }),
        );
      const close = (record: { id: number; version: number }, fields: Record<string, unknown>) =>
        mes.call('operator', 'POST', `/api/field-checks/${record.id}/actions/close`, {
          version: record.version,
          fields,
        });

      // The field's own readonlyWhen holds: the action may not change it.
      const urgent = await open('Valve leaks', true);
      const own = await close(urgent, { remark: 'tightened' });
      expect(own.statusCode).toBe(422);
      expect(own.json().errors).toEqual([
        expect.objectContaining({ field: 'remark', path: '/fields/remark', rule: 'readonlyWhen' }),
      ]);
      // The transition's readonlyWhen holds: the required field keeps its stored value.
      const sealed = await open('sealed', false);
      const transitions = await close(sealed, { finding: 'rewritten' });
      expect(transitions.statusCode).toBe(422);
      expect(transitions.json().errors).toEqual([
        expect.objectContaining({ field: 'finding', rule: 'readonlyWhen', limit: "title == 'sealed'" }),
      ]);
      expect((await close(sealed, { finding: 'seen', remark: 'ok' })).statusCode).toBe(201);
      const plain = await close(await open('Belt slips', false), {
        finding: 'worn belt',
        remark: 'replaced',
      });
      expect(plain.statusCode).toBe(201);
      expect(plain.json().data.record).toMatchObject({ status: 'DONE', finding: 'worn belt' });
    });
  });
});
