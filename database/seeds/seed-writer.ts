/**
 * Writes seed rows through the EntityService's bulk path, so identifiers, defaults and validation
 * apply exactly as for API clients. Rows are given with metadata (snake_case) names; the writer maps
 * them to API properties, drops fields the entity does not declare (metadata keeps evolving), leaves
 * readonly fields to the engine, fills required fields the seed does not know with values of the
 * right type, and fails loudly, naming entity, row and field, on anything the engine rejects.
 */
import type { CompiledEntity, CompiledField } from '../../metadata/src/model';
import { apiPropertyOf } from '../../metadata/src/model/api-schema';
import { BulkValidationError } from '../../platform/src/crud/errors';
import type { EntityOperations, EntityRecord, RequestContext } from '../../platform/src/crud/types';
import type { SqlExecutor } from '../../platform/src/data/database';
import { toDbValue } from '../../platform/src/data/values';
import type { SeededRandom } from './prng';

export type SeedRow = Record<string, unknown>;

const CHUNK_SIZE = 1000;
const UPDATE_CHUNK_SIZE = 500;

/** Workflow-managed (readonly) values of one seeded row, by metadata field name. */
export interface StateBackfill {
  id: number;
  values: SeedRow;
}
const FILL_DATETIME = '2026-09-01T08:00:00.000Z';

export class SeedWriter {
  /** Ids written per entity, in insertion order. */
  readonly ids = new Map<string, number[]>();
  readonly counts = new Map<string, number>();

  constructor(
    private readonly operations: EntityOperations,
    private readonly sql: SqlExecutor,
    private readonly ctx: RequestContext,
    private readonly random: SeededRandom,
    private readonly log: (message: string) => void,
  ) {}

  has(entity: string): boolean {
    return this.ctx.model.entities.has(entity);
  }

  idsOf(entity: string): number[] {
    return this.ids.get(entity) ?? [];
  }

  /** Inserts the rows and returns their ids in order; an entity absent from the Model is skipped. */
  async insert(entityName: string, rows: SeedRow[]): Promise<number[]> {
    const entity = this.ctx.model.entities.get(entityName);
    if (!entity) {
      this.log(`seed: entity '${entityName}' is not in the Model; skipped`);
      return [];
    }
    const written: number[] = [];
    for (let start = 0; start < rows.length; start += CHUNK_SIZE) {
      const chunk = rows
        .slice(start, start + CHUNK_SIZE)
        .map((row, i) => this.toRecord(entity, row, start + i));
      try {
        const result = await this.operations.bulk(entity.name, { mode: 'create', rows: chunk }, this.ctx);
        written.push(...result.ids);
      } catch (error) {
        if (error instanceof BulkValidationError) {
          const first = error.details?.rows?.slice(0, 3) ?? [];
          const detail = first.map((r) => `row ${start + r.row}: ${r.message}`).join('; ');
          throw new Error(`seed: ${entity.name} rejected: ${detail}`, { cause: error });
        }
        throw error;
      }
    }
    this.ids.set(entity.name, [...this.idsOf(entity.name), ...written]);
    this.counts.set(entity.name, (this.counts.get(entity.name) ?? 0) + written.length);
    return written;
  }

  /** `parentKey`: the back reference of an owned child row, set by the engine from its parent. */
  /**
   * Sets readonly, workflow-managed fields (status, actual quantities, timestamps) of rows the seed
   * just created, so the demo shows history that workflows and domain events would have produced.
   * The API never accepts these from clients; this is the one place the seed writes SQL, by the
   * Model's own table and column names, for the seed's tenant only. Fields the Model lacks are skipped.
   */
  async backfillState(entityName: string, rows: StateBackfill[]): Promise<void> {
    const entity = this.ctx.model.entities.get(entityName);
    if (!entity) return;
    const groups = new Map<string, { assignments: [string, unknown][]; ids: number[] }>();
    for (const row of rows) {
      const assignments = Object.entries(row.values)
        .map(([name, value]) => [entity.fieldsByName.get(name), value] as const)
        .filter(([field, value]) => field?.column !== undefined && value !== undefined)
        .map(
          ([field, value]) => [field?.column ?? '', toDbValue(field?.columnType, value)] as [string, unknown],
        );
      if (assignments.length === 0) continue;
      const key = JSON.stringify(assignments);
      const group = groups.get(key) ?? { assignments, ids: [] };
      group.ids.push(row.id);
      groups.set(key, group);
    }
    const q = (name: string) => this.sql.dialect.quote(name);
    for (const { assignments, ids } of groups.values()) {
      const set = assignments.map(([column]) => `${q(column)} = ?`).join(', ');
      for (let start = 0; start < ids.length; start += UPDATE_CHUNK_SIZE) {
        const chunk = ids.slice(start, start + UPDATE_CHUNK_SIZE);
        await this.sql.execute(
          `UPDATE ${q(entity.table)} SET ${set} WHERE ${q('tenant_id')} = ? AND ${q('id')} IN (${chunk.map(() => '?').join(', ')})`,
          [...assignments.map(([, value]) => value), this.ctx.tenantId, ...chunk],
        );
      }
    }
  }

  private toRecord(entity: CompiledEntity, row: SeedRow, index: number, parentKey?: string): EntityRecord {
    const record: EntityRecord = {};
    for (const field of entity.fields) {
      if (!writable(entity, field) || field.name === parentKey) continue;
      const value = row[field.name];
      if (value !== undefined && value !== null) {
        record[apiPropertyOf(field)] = field.type === 'children' ? this.children(field, value) : value;
      } else if (field.required && field.def.default === undefined) {
        record[apiPropertyOf(field)] = this.fill(entity, field, index);
      }
    }
    return record;
  }

  private children(field: CompiledField, value: unknown): EntityRecord[] {
    const child = field.children ? this.ctx.model.entities.get(field.children.target) : undefined;
    if (!child || !Array.isArray(value)) return [];
    return (value as SeedRow[]).map((row, i) => this.toRecord(child, row, i, field.children?.foreignKey));
  }

  /** A value for a required field the seed does not name. */
  private fill(entity: CompiledEntity, field: CompiledField, index: number): unknown {
    const def = field.def;
    switch (def.type) {
      case 'string':
        return `${field.name.replace(/_/g, '').toUpperCase().slice(0, 8)}${index + 1}`.slice(
          0,
          field.length ?? 32,
        );
      case 'text':
        return `Demo ${field.name} ${index + 1}`;
      case 'integer':
        return def.min ?? 1;
      case 'decimal':
        return Math.max(def.min ?? 1, (def.exclusiveMin ?? 0) + 1);
      case 'boolean':
        return false;
      case 'date':
        return FILL_DATETIME.slice(0, 10);
      case 'datetime':
        return FILL_DATETIME;
      case 'enum':
        return field.enumValues?.[0];
      case 'json':
        return {};
      case 'relation': {
        const target = field.relation?.target ?? '';
        const candidates = this.idsOf(target);
        if (candidates.length === 0) {
          throw new Error(`seed: ${entity.name}.${field.name} is required but no ${target} rows were seeded`);
        }
        return this.random.pick(candidates);
      }
      case 'children':
        return [];
      default:
        throw new Error(`seed: cannot fill required ${def.type} field ${entity.name}.${field.name}`);
    }
  }
}

function writable(entity: CompiledEntity, field: CompiledField): boolean {
  if (field.readonly || field.storage === 'computed') return false;
  return entity.identifier?.field !== field.name;
}
