import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSecurityServer, type SecurityServer } from '../security/security-server';

/** A generated form definition of ui-runtime/src/generated/forms, as the browser app bundles it. */
function generatedForm(file: string): { hash: string; schema: unknown } {
  const path = join(__dirname, '..', '..', '..', 'ui-runtime', 'src', 'generated', 'forms', file);
  return JSON.parse(readFileSync(path, 'utf8')) as { hash: string; schema: unknown };
}

interface FieldMeta {
  name: string;
  readonly: boolean;
}
interface FormNode {
  name?: string;
  disabled?: boolean;
  children?: FormNode[] | unknown;
}

/** Every FormKit input (a node with a `name`) in a served form schema. */
function inputsOf(node: unknown): FormNode[] {
  if (Array.isArray(node)) return node.flatMap(inputsOf);
  if (!node || typeof node !== 'object') return [];
  const own = '$formkit' in node && 'name' in node ? [node as FormNode] : [];
  return [...own, ...Object.values(node).flatMap(inputsOf)];
}

/** The meta API and the served forms show each caller only what its roles let it see and do. */
describe('metadata as the caller may see it', () => {
  let api: SecurityServer;

  beforeAll(async () => {
    api = await startSecurityServer('sqlite', 'meta-view');
  }, 120_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('lists only the entities the caller may read', async () => {
    const names = async (user: string) =>
      ((await api.call(user, 'GET', '/api/meta/entities')).json().data.entities as { name: string }[]).map(
        (e) => e.name,
      );
    const admin = await names('admin');
    const operator = await names('operator');
    expect(admin).toEqual(expect.arrayContaining(['work_order', 'supplier_master', 'user']));
    expect(operator).toContain('work_order');
    expect(operator).not.toContain('supplier_master');
    expect(operator.length).toBeLessThan(admin.length);
  });

  it('answers 404 for an entity the caller may not read, in the meta API and the form schema', async () => {
    expect((await api.call('operator', 'GET', '/api/meta/entities/supplier_master')).statusCode).toBe(404);
    expect((await api.call('operator', 'GET', '/api/ui/forms/supplier_master')).statusCode).toBe(404);
    expect((await api.call('admin', 'GET', '/api/meta/entities/supplier_master')).statusCode).toBe(200);
  });

  it('omits hidden fields, marks fields the caller may not write readonly, and lists only held actions', async () => {
    const item = (await api.call('operator', 'GET', '/api/meta/entities/item_master')).json().data as {
      fields: FieldMeta[];
    };
    expect(item.fields.map((f) => f.name)).not.toContain('unit_cost');
    const adminItem = (await api.call('admin', 'GET', '/api/meta/entities/item_master')).json().data as {
      fields: FieldMeta[];
    };
    expect(adminItem.fields.map((f) => f.name)).toContain('unit_cost');

    const wo = (await api.call('operator', 'GET', '/api/meta/entities/work_order')).json().data as {
      fields: FieldMeta[];
      actions: string[];
    };
    expect(wo.fields.find((f) => f.name === 'planned_quantity')?.readonly).toBe(true);
    expect(wo.actions).toEqual(expect.arrayContaining(['read', 'start']));
    expect(wo.actions).not.toContain('release');
    const adminWo = (await api.call('admin', 'GET', '/api/meta/entities/work_order')).json().data as {
      fields: FieldMeta[];
      actions: string[];
    };
    expect(adminWo.actions).toContain('release');
  });

  it('serves form schemas without unreadable inputs and with unwritable ones disabled', async () => {
    const itemForm = (await api.call('operator', 'GET', '/api/ui/forms/item_master')).json().data;
    expect(inputsOf(itemForm.schema).map((input) => input.name)).not.toContain('unitCost');
    const adminItemForm = (await api.call('admin', 'GET', '/api/ui/forms/item_master')).json().data;
    expect(inputsOf(adminItemForm.schema).map((input) => input.name)).toContain('unitCost');

    const woForm = (await api.call('operator', 'GET', '/api/ui/forms/work_order')).json().data;
    const quantity = inputsOf(woForm.schema).find((input) => input.name === 'plannedQuantity');
    expect(quantity?.disabled).toBe(true);
    const adminWoForm = (await api.call('admin', 'GET', '/api/ui/forms/work_order')).json().data;
    expect(
      inputsOf(adminWoForm.schema).find((input) => input.name === 'plannedQuantity')?.disabled,
    ).toBeFalsy();
  });

  it('leaves the generated form definition in charge while the live Model serves the same form to the caller', async () => {
    const generated = generatedForm('work-order.form.json');
    const url = `/api/ui/forms/work_order?base=${encodeURIComponent(generated.hash)}`;
    const admin = (await api.call('admin', 'GET', url)).json().data;
    expect(admin).toMatchObject({ entity: 'work_order', hash: generated.hash, schema: null });
    // Without its base, or for a caller whose access changes the form, the server sends the schema.
    const unasked = (await api.call('admin', 'GET', '/api/ui/forms/work_order')).json().data;
    expect(unasked.schema).toEqual(generated.schema);
    const operator = (await api.call('operator', 'GET', url)).json().data;
    expect(inputsOf(operator.schema).find((input) => input.name === 'plannedQuantity')?.disabled).toBe(true);
    // A browser built from other metadata than the live Model's gets the live form.
    const stale = (await api.call('admin', 'GET', '/api/ui/forms/work_order?base=older')).json().data;
    expect(stale.schema).toEqual(generated.schema);
  });
});
