/**
 * The CRUD contract every layer codes against: the server's controllers, generated code, workflow,
 * domain hooks and plugins call one `EntityOperations` implementation (crud/entity.service.ts) for
 * every entity. Records travel in API shape: camelCase keys; a relation field `item` appears as
 * `itemId: number` plus, when expanded, the related record under `item`; a `many` field `tags` as
 * `tagsIds: number[]` plus, when expanded, the records under `tags`; a `children` field as an array of
 * child records. System columns appear as `id, createdAt, createdBy, updatedAt, updatedBy, version,
 * deletedAt`; extension fields appear as ordinary fields.
 */
import type { Model } from '../../../metadata/src/model';
import type { EntityRecord, FieldError, ListResult, RowError } from '../contracts/crud';

/** Who is asking and on which Model; captured at request start so a model swap never tears a request. */
export interface RequestContext {
  tenantId: string;
  userId: string | null;
  traceId: string;
  model: Model;
  /** Where the request came from, for the audit trail; absent for work nobody asked for over HTTP. */
  client?: ClientInfo;
  /**
   * The caller's data rules, set by the security layer for an authenticated caller: the engine
   * compiles them into the reads of every write. Absent: the engine trusts the caller (in-process
   * system work).
   */
  access?: WriteAccess;
}

/** The client of a request as the audit trail records it. */
export interface ClientInfo {
  /** The caller's display name (user name) at the time of the request. */
  actorName: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** The caller's row and field rules, as the write path applies them. */
export interface WriteAccess {
  /**
   * The rows of `entity` the caller may touch with `action` (`read` for records a write refers to),
   * as a filter; null when every row of the tenant is allowed. Without the permission at all, a
   * filter that matches nothing: such rows answer like missing ones.
   */
  rowScope(entity: string, action: string): FilterNode | null;
  /**
   * The records of `entity` a write may refer to: the caller's read scope on it, so a record the
   * caller cannot see is missing to it; null when every row of the tenant is allowed, or when the
   * caller holds no read permission on the entity at all (a user picked as inspector), whose
   * references are checked for existence only.
   */
  referenceScope(entity: string): FilterNode | null;
  /** Throws 403 naming the first field of `body` the caller may not write with `action`. */
  checkFields(entity: string, action: string, body: EntityRecord): void;
}

export type { EntityRecord, FieldError, ListResult, RowError };

export type FilterOperator =
  | 'eq'
  | 'ne'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'in'
  | 'nin'
  | 'contains'
  | 'startsWith'
  | 'between'
  | 'null'
  | 'notNull';

/**
 * One comparison. `field` is an API name or a dot path through relations (`item.itemType`).
 * `value`: a scalar for comparisons, an array for in/nin, a two-element array for between, and
 * ignored for null/notNull.
 */
export interface FilterCondition {
  field: string;
  op: FilterOperator;
  value: unknown;
}

export interface FilterGroup {
  kind: 'and' | 'or';
  conditions: FilterNode[];
}

export type FilterNode = FilterCondition | FilterGroup;

export interface SortTerm {
  /** API name (system columns included, e.g. `id`, `createdAt`); extension fields allowed. */
  field: string;
  direction: 'asc' | 'desc';
}

export type CountMode = 'exact' | 'estimated' | 'none';

/** A list request after parsing and checking against the Model (`parseListQuery`). */
export interface ListQuery {
  /** 1-based page for offset paging; null when paging by cursor. */
  page: number | null;
  /** Default 20, max 500. */
  pageSize: number;
  /** Opaque keyset cursor from a previous `nextCursor`; `''` asks for the first keyset page. */
  cursor: string | null;
  /** Root is an `and` group; empty conditions = no filter. */
  filter: FilterGroup;
  /** Always ends with `id` as a tie-breaker (added by the parser). */
  sort: SortTerm[];
  /** API names or dot paths (`item.name`) to return; null = every readable field. */
  fields: string[] | null;
  /** Relation, many and children field API names to expand. */
  expand: string[];
  /**
   * The rows an expansion may bring, by expansion name (set by the security layer): the related
   * entity's row scope, compiled into the statement that reads the expansion. A relation outside
   * it reads null; a many field lists only the records inside it (its `<name>Ids` keep every link).
   */
  expandScopes?: Readonly<Record<string, FilterNode>>;
  search: string | null;
  count: CountMode;
  includeDeleted: boolean;
}

export interface ReadOptions {
  fields?: string[] | null;
  expand?: string[];
  includeDeleted?: boolean;
}

export interface BulkRequest {
  mode: 'create' | 'update' | 'upsert' | 'delete';
  /**
   * update: each row carries `id` and `version`; upsert: `id` or the business key decides;
   * delete: `{id, version?}` (a version given must be the current one).
   */
  rows: EntityRecord[];
}

export interface BulkResult {
  created: number;
  updated: number;
  deleted: number;
  /** Empty on success: one bad row rolls the whole request back (the service throws with these). */
  errors: RowError[];
  /** Ids of the written rows in request order. */
  ids: number[];
}

/**
 * One implementation for every entity (crud/entity.service.ts). `entity` is the metadata name
 * (`work_order`). Every method reads the Model from `ctx.model` and throws `ApiError` (crud/errors.ts)
 * for anything the caller can fix.
 */
export interface EntityOperations {
  list(entity: string, query: ListQuery, ctx: RequestContext): Promise<ListResult>;
  get(entity: string, id: number, ctx: RequestContext, opts?: ReadOptions): Promise<EntityRecord>;
  /** By the entity's business key (identifier field unless `businessKey` says otherwise). */
  getByKey(entity: string, key: string, ctx: RequestContext, opts?: ReadOptions): Promise<EntityRecord>;
  create(entity: string, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord>;
  /** PATCH: `body.version` is required; a stale version throws CONFLICT with `currentVersion`. */
  update(entity: string, id: number, body: EntityRecord, ctx: RequestContext): Promise<EntityRecord>;
  remove(entity: string, id: number, ctx: RequestContext): Promise<void>;
  restore(entity: string, id: number, ctx: RequestContext): Promise<EntityRecord>;
  bulk(entity: string, request: BulkRequest, ctx: RequestContext): Promise<BulkResult>;
  /**
   * Turns a querystring (already nested by a qs-style parser: `{filter:{status:{in:'a,b'}}}`, or with
   * `filter` as a JSON string for and/or groups: `{"or":[{"status":{"eq":"RELEASED"}},…]}`) into a
   * checked ListQuery. Accepted keys: page, pageSize, cursor, filter, sort (`-plannedStart,id`),
   * fields, expand, search, count, includeDeleted. Unknown names → 400 UNKNOWN_FIELD.
   */
  parseListQuery(entity: string, rawQuery: Record<string, unknown>, model: Model): ListQuery;
}
