import { entityMeta } from '../api/entity-meta';
import { ApiError, api } from '../api/http';
import type { EntityMeta, EntityRecord, EntitySummary, FieldMeta } from '../api/meta';

/**
 * Modules whose records travel the shop floor: every entity there with a business key (work orders,
 * lots, serial numbers, boxes, …) can be scanned. Other modules' codes (items, users) are not what
 * an operator scans at a station.
 */
export const SHOP_FLOOR_MODULES = ['production'];

/** Keyboard-wedge scanners type a code far faster than a person; slower keys start a new code. */
const MAX_KEY_GAP_MS = 60;
const MIN_CODE_LENGTH = 3;

/**
 * Collects the keystrokes a keyboard-wedge scanner sends while no input has focus: characters arriving
 * within a few milliseconds of each other, ended by Enter. Returns the code on that Enter.
 */
export class WedgeScanner {
  private buffer = '';
  private last = 0;

  key(key: string, at: number): string | null {
    if (at - this.last > MAX_KEY_GAP_MS) this.buffer = '';
    this.last = at;
    if (key === 'Enter') {
      const code = this.buffer;
      this.buffer = '';
      return code.length >= MIN_CODE_LENGTH ? code : null;
    }
    if (key.length === 1) this.buffer += key;
    return null;
  }
}

export interface ScanMatch {
  meta: EntityMeta;
  record: EntityRecord;
}

/** Entities a scan is looked up in: business-keyed entities of the shop-floor modules. */
export function scanTargets(entities: EntitySummary[]): EntitySummary[] {
  return entities.filter((e) => e.businessKey && SHOP_FLOOR_MODULES.includes(e.module));
}

/** Looks the code up in every scan target at once (`GET /api/<path>/by-code/<code>`); misses are 404s. */
export async function resolveCode(entities: EntitySummary[], code: string): Promise<ScanMatch[]> {
  const found = await Promise.all(
    scanTargets(entities).map(async (summary) => {
      try {
        const record = await api<EntityRecord>(
          'GET',
          `/api/${summary.path}/by-code/${encodeURIComponent(code)}`,
        );
        return { meta: await entityMeta(summary.path), record };
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return null;
        throw e;
      }
    }),
  );
  return found.filter((m): m is ScanMatch => m !== null);
}

/** A way to report work on a child row: entity `report` has required relations to the parent and the child. */
export interface ReportTarget {
  meta: EntityMeta;
  parentField: FieldMeta;
  childField: FieldMeta;
}

function requiredRelationTo(meta: EntityMeta, target: string): FieldMeta | undefined {
  return meta.fields.find((f) => f.relation?.target === target && f.required);
}

/**
 * Entities of the shop-floor modules that record work against a child row of `parent` (e.g. a work
 * report naming a work order and one of its operations), found from the relations in the metadata.
 */
export async function reportTargets(
  entities: EntitySummary[],
  parent: EntityMeta,
  childEntity: string,
): Promise<ReportTarget[]> {
  const candidates = entities.filter((e) => SHOP_FLOOR_MODULES.includes(e.module) && e.name !== parent.name);
  const metas = await Promise.all(candidates.map((e) => entityMeta(e.path)));
  return metas.flatMap((meta) => {
    const parentField = requiredRelationTo(meta, parent.name);
    const childField = requiredRelationTo(meta, childEntity);
    return parentField && childField ? [{ meta, parentField, childField }] : [];
  });
}

const NUMERIC = new Set(['integer', 'decimal', 'number', 'float', 'bigint']);

export function isNumeric(field: FieldMeta): boolean {
  return NUMERIC.has(field.type);
}

/**
 * What the operator fills in on a report: the quantities (numeric fields), whatever is required without
 * a default, and fields that become required by condition (a scrap reason when scrap is reported).
 * Prefilled relations, read-only and hidden fields are left to the server.
 */
export function reportFields(meta: EntityMeta, prefilled: Set<string>): FieldMeta[] {
  return meta.fields.filter(
    (f) =>
      !f.hidden &&
      !f.readonly &&
      !f.children &&
      !f.many &&
      !prefilled.has(f.name) &&
      (isNumeric(f) || (f.required && f.default === undefined) || f.requiredWhen !== undefined),
  );
}
