import type { DataSource } from 'typeorm';
import type { ExtensionFieldStatus } from '../contracts/extensions';
import type { SqlExecutor } from '../data/database';
import type { ExtensionFieldInput } from '../../../metadata/src/model';
import type { FieldDef } from '../../../metadata/src/types';
import { nowForDb } from '../data/values';

export interface ExtensionFieldRecord {
  id: number;
  tenantId: string;
  entity: string;
  name: string;
  def: FieldDef;
  status: ExtensionFieldStatus;
  version: number;
  /** The indexed generated column the field was promoted to, or null. */
  promotedColumn: string | null;
}

interface ExtensionFieldRow {
  id: number | string;
  tenant_id: string;
  entity: string;
  name: string;
  definition: string | FieldDef;
  status: ExtensionFieldStatus;
  version: number | string;
  promoted_column: string | null;
}

const COLUMNS = 'id, tenant_id, entity, name, definition, status, version, promoted_column';

/** Reads and writes `ext_field`, the registry of extension fields per entity and tenant. */
export class ExtensionFieldStore {
  constructor(private readonly dataSource: DataSource) {}

  async list(entity?: string): Promise<ExtensionFieldRecord[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ext_field${entity ? ' WHERE entity = ?' : ''} ORDER BY id`,
      entity ? [entity] : [],
    )) as ExtensionFieldRow[];
    return rows.map(toRecord);
  }

  async find(tenantId: string, entity: string, name: string): Promise<ExtensionFieldRecord | null> {
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ext_field WHERE tenant_id = ? AND entity = ? AND name = ?`,
      [tenantId, entity, name],
    )) as ExtensionFieldRow[];
    return rows.length > 0 ? toRecord(rows[0]) : null;
  }

  /** The field's row read inside `tx` (the transaction about to change it). */
  async findIn(
    tx: SqlExecutor,
    tenantId: string,
    entity: string,
    name: string,
  ): Promise<ExtensionFieldRecord | null> {
    const rows = await tx.query<ExtensionFieldRow>(
      `SELECT ${COLUMNS} FROM ext_field WHERE tenant_id = ? AND entity = ? AND name = ?`,
      [tenantId, entity, name],
    );
    return rows.length > 0 ? toRecord(rows[0]) : null;
  }

  async insert(
    tenantId: string,
    entity: string,
    name: string,
    def: FieldDef,
    by: string | null,
    tx?: SqlExecutor,
  ): Promise<void> {
    const now = nowForDb();
    await this.write(
      tx,
      'INSERT INTO ext_field (tenant_id, entity, name, definition, status, created_at, created_by, updated_at, updated_by, version) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)',
      [tenantId, entity, name, JSON.stringify(def), 'active', now, by, now, by],
    );
  }

  async update(
    record: ExtensionFieldRecord,
    changes: { name?: string; def?: FieldDef; status?: ExtensionFieldStatus },
    by: string | null,
    tx?: SqlExecutor,
  ): Promise<void> {
    await this.write(
      tx,
      'UPDATE ext_field SET name = ?, definition = ?, status = ?, updated_at = ?, updated_by = ?, version = version + 1 WHERE id = ?',
      [
        changes.name ?? record.name,
        JSON.stringify(changes.def ?? record.def),
        changes.status ?? record.status,
        nowForDb(),
        by,
        record.id,
      ],
    );
  }

  /** Records (or clears) the generated column of a field on every tenant's record of that name. */
  async setPromotedColumn(
    entity: string,
    name: string,
    column: string | null,
    by: string | null,
    tx?: SqlExecutor,
  ): Promise<void> {
    await this.write(
      tx,
      'UPDATE ext_field SET promoted_column = ?, updated_at = ?, updated_by = ?, version = version + 1 WHERE entity = ? AND name = ?',
      [column, nowForDb(), by, entity, name],
    );
  }

  /** A write inside `tx` (the transaction that also audits the change), or on its own. */
  private async write(tx: SqlExecutor | undefined, sql: string, params: unknown[]): Promise<void> {
    await (tx ? tx.query(sql, params) : this.dataSource.query(sql, params));
  }

  /**
   * The active fields as Model input: one input per entity and name, visible to the tenants that
   * registered it (`*` = every tenant).
   */
  async activeInputs(): Promise<ExtensionFieldInput[]> {
    const grouped = new Map<string, ExtensionFieldInput>();
    for (const record of await this.list()) {
      if (record.status !== 'active') continue;
      const key = `${record.entity}.${record.name}`;
      const existing = grouped.get(key);
      const tenants = record.tenantId === '*' ? undefined : [record.tenantId];
      const promoted = record.promotedColumn ? { promotedColumn: record.promotedColumn } : {};
      if (!existing)
        grouped.set(key, { entity: record.entity, name: record.name, def: record.def, tenants, ...promoted });
      else {
        existing.tenants = existing.tenants && tenants ? [...existing.tenants, ...tenants] : undefined;
        Object.assign(existing, promoted);
      }
    }
    return [...grouped.values()];
  }
}

function toRecord(row: ExtensionFieldRow): ExtensionFieldRecord {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    entity: row.entity,
    name: row.name,
    def: typeof row.definition === 'string' ? (JSON.parse(row.definition) as FieldDef) : row.definition,
    status: row.status,
    version: Number(row.version),
    promotedColumn: row.promoted_column ?? null,
  };
}
