/**
 * The metadata language as TypeScript types. The JSON meta-schemas in metadata/schema/ are the
 * authority for what a file may contain; these types describe a document that has passed them.
 * Every metadata file is one document whose kind is named by its first key (`entity:`, `form:`, …).
 */

/** Label in every UI language. Both are required in shipped metadata. */
export interface I18nText {
  en: string;
  zh: string;
}

/** A guard/visibility expression in the safe expression language (metadata/src/expression). */
export type Expression = string;

export type LogicalDatabase = 'core' | 'procurement' | 'maintenance' | 'log' | 'bi' | string;

export type FieldType =
  | 'string'
  | 'text'
  | 'integer'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'enum'
  | 'json'
  | 'relation'
  | 'children'
  | 'many'
  | 'file'
  | 'computed';

export interface FieldPermissions {
  /** Permission codes allowed to read the field; absent = anyone who may read the entity. */
  read?: string[];
  /** Permission codes allowed to write the field; absent = anyone who may write the entity. */
  write?: string[];
}

interface FieldCommon {
  type: FieldType;
  label: I18nText;
  description?: I18nText;
  required?: boolean;
  unique?: boolean;
  index?: boolean;
  default?: string | number | boolean | null;
  readonly?: boolean;
  /** Encrypted at rest (AES-256-GCM); masked in API reads, events and webhooks unless unmasked. */
  sensitive?: boolean;
  /** How a sensitive value is masked: phone keeps the last 4, email the first 2 + domain. */
  mask?: 'phone' | 'email' | 'all';
  /** Never leaves the server: not in forms, lists, API reads, exports, events or webhooks. */
  hidden?: boolean;
  visibleWhen?: Expression;
  requiredWhen?: Expression;
  /** Not changeable by a client write while this expression holds for the stored record. */
  readonlyWhen?: Expression;
  permissions?: FieldPermissions;
  /** Previous name of this field, so migrations rename the column and keep its data. */
  renamedFrom?: string;
  /** Column name when it differs from the field name. */
  column?: string;
  /** Help text shown beside the input. */
  help?: I18nText;
}

export interface StringField extends FieldCommon {
  type: 'string';
  length?: number;
  minLength?: number;
  pattern?: string;
  format?: 'email' | 'uri' | 'phone' | 'uuid' | 'code';
}
export interface TextField extends FieldCommon {
  type: 'text';
  maxLength?: number;
  minLength?: number;
}
export interface IntegerField extends FieldCommon {
  type: 'integer';
  min?: number;
  max?: number;
}
export interface DecimalField extends FieldCommon {
  type: 'decimal';
  precision: number;
  scale: number;
  min?: number;
  max?: number;
  /** Exclusive lower bound, e.g. quantity > 0. */
  exclusiveMin?: number;
}
export interface BooleanField extends FieldCommon {
  type: 'boolean';
}
export interface DateField extends FieldCommon {
  type: 'date' | 'datetime';
  /** `future` / `past` relative to now at validation time. */
  range?: 'future' | 'past';
}
export interface EnumValue {
  value: string;
  label: I18nText;
  color?: string;
  /** Records with this value are held by quality (stock QUARANTINE): not used until released. */
  held?: boolean;
}
export interface EnumField extends FieldCommon {
  type: 'enum';
  values: (string | EnumValue)[];
}
export interface JsonField extends FieldCommon {
  type: 'json';
  /** Optional JSON Schema the value must satisfy. */
  schema?: Record<string, unknown>;
}
export interface RelationField extends FieldCommon {
  type: 'relation';
  /** Target entity name (many-to-one). */
  to: string;
  /** Field of the target shown as the relation's label. Default: the target's `display`. */
  display?: string;
  onDelete?: 'restrict' | 'cascade' | 'setNull';
}
export interface ChildrenField extends FieldCommon {
  type: 'children';
  /** Child entity; owned rows written in the parent's transaction. */
  to: string;
  /** The relation field on the child pointing back to this entity. */
  foreignKey: string;
  orderBy?: string;
  minItems?: number;
  maxItems?: number;
}
export interface ManyField extends FieldCommon {
  type: 'many';
  to: string;
  /** Link table name; default `<entity>_<field>`. */
  through?: string;
}
export interface FileField extends FieldCommon {
  type: 'file';
  /** Bytes; default 10 MiB. */
  maxSize?: number;
  accept?: string[];
  multiple?: boolean;
}
export interface ComputedField extends FieldCommon {
  type: 'computed';
  expression: Expression;
  resultType: 'string' | 'integer' | 'decimal' | 'boolean' | 'date' | 'datetime';
}

export type FieldDef =
  | StringField
  | TextField
  | IntegerField
  | DecimalField
  | BooleanField
  | DateField
  | EnumField
  | JsonField
  | RelationField
  | ChildrenField
  | ManyField
  | FileField
  | ComputedField;

/**
 * Identifier generation. Pattern tokens: literal text, `{YYYY}`, `{YYYYMM}`, `{YYYYMMDD}` (UTC date),
 * `{TENANT}` (the tenant's code), `{<field>}` (value of a field of the row, or `{<relation>.<field>}` of a related row) and `{seq:N}`
 * (the sequence, zero-padded to N). The sequence scope is every token before `{seq}`:
 * `LOT-{YYYYMMDD}-{seq:3}` resets daily, `WO-{line.code}-{seq:4}` counts per line and never resets.
 */
export interface IdentifierDef {
  field: string;
  pattern: string;
  /** Regex every generated value must match. */
  regex?: string;
  /** A client-supplied code matching `regex` is accepted on create (ERP, CSV import). */
  external?: boolean;
}

export interface IndexDef {
  name?: string;
  fields: string[];
  unique?: boolean;
}

/** Sort spec: field name, `-` prefix for descending. */
export type SortSpec = string;

export interface ListViewDef {
  label?: I18nText;
  columns: string[];
  defaultSort?: SortSpec | SortSpec[];
  filters?: string[];
  search?: string[];
  pageSize?: number;
  /** An enum field: the list can also show as a board with a column per value. */
  kanban?: string;
  /** The list can also show as a schedule: a bar per record from `start` to `end`, a row per `lane`. */
  schedule?: ScheduleViewDef;
}

export interface ScheduleViewDef {
  /** A date or datetime field: where the bar begins. */
  start: string;
  /** A date or datetime field: where the bar ends (the start day when empty). */
  end?: string;
  /** A relation or enum field: a row of the schedule per value. */
  lane?: string;
  /**
   * The working calendar of a lane, a path through the lane's relation (`line.plant.calendar`): its
   * non-working time is shaded and a bar is not dropped with its start or end there.
   */
  calendar?: string;
  /** The time zone the calendar's shifts are on, a path through the lane (`line.plant.timezone`); UTC when absent. */
  timeZone?: string;
}

export interface ExtensionPolicy {
  /** Whether analysts may add extension fields at runtime. */
  allowed: boolean;
  maxFields?: number;
}

export interface EntityEvents {
  /** Event types emitted on CRUD; default `<entity>.created|updated|deleted`. */
  created?: string;
  updated?: string;
  deleted?: string;
}

export interface EntityDef {
  entity: string;
  label: I18nText;
  pluralLabel?: I18nText;
  description?: I18nText;
  module: string;
  database?: LogicalDatabase;
  table?: string;
  /** URL segment when the kebab plural is wrong (`stock` → `stock`). */
  path?: string;
  renamedFrom?: string;
  /** Field shown as a record's label in lookups and relations. */
  display: string;
  identifier?: IdentifierDef;
  /** Field used by `/by-code/:code`; default identifier.field. */
  businessKey?: string;
  fields: Record<string, FieldDef>;
  indexes?: IndexDef[];
  list?: ListViewDef;
  views?: Record<string, ListViewDef>;
  form?: string;
  workflow?: string;
  extension?: ExtensionPolicy;
  /** Rows are never updated or deleted (trace events, stock transactions, logs). */
  appendOnly?: boolean;
  /** Archived: out of the menus, its records read-only (writes refused); table and data kept. */
  archived?: boolean;
  /** Former API paths that keep answering, after the entity's `path` changed (a rename). */
  pathAliases?: string[];
  /** Default true. */
  softDelete?: boolean;
  /** Default true: rows carry tenant_id and every query is scoped to it. */
  tenantScoped?: boolean;
  /** Child entity only reachable through its parent's `children` field. */
  owned?: boolean;
  events?: EntityEvents;
  /** Extra permission actions beyond CRUD (e.g. `unmask`, `export`). */
  actions?: string[];
  /** Files can be attached to each record: `true`, or the limits. */
  attachments?: boolean | AttachmentPolicy;
  /** Records carry a comment thread. */
  comments?: boolean;
  /**
   * The engine evaluates the entity's records: `thresholdAlert` makes each record a threshold over
   * a window, checked on a schedule, raising `alert_event` records (see EVALUATORS).
   */
  evaluatedBy?: EvaluatorName;
  /** Each record is a recurring schedule the engine keeps (scheduled jobs). */
  recurrence?: RecurrenceDef;
}

/**
 * The fields of a record that is a recurring schedule: the engine checks the cron expression and
 * time zone on every write (422 naming the field) and keeps `nextRun` at the next occurrence while
 * the record is active.
 */
export interface RecurrenceDef {
  /** A string field: the cron expression (5 fields, or 6 with seconds first). */
  cron: string;
  /** A string field: the IANA time zone; UTC when absent or empty. */
  timezone?: string;
  /** A datetime field the engine keeps at the next occurrence (empty while inactive). */
  nextRun: string;
  /** A string field naming a registered job handler (422 when none is registered under it). */
  handler?: string;
  /** Active while `field` holds one of `values`; always when absent. */
  active?: { field: string; values: string[] };
}

/** Evaluators the engine provides for records kept as data (`evaluatedBy`). */
export type EvaluatorName = 'thresholdAlert';

/** Limits on the files attached to an entity's records. */
export interface AttachmentPolicy {
  /** Largest file in bytes; default 10 MiB. */
  maxSize?: number;
  /** Accepted MIME types (`image/*`) or extensions (`.pdf`); default any. */
  accept?: string[];
}

export interface FormFieldRef {
  field: string;
  span?: number;
  widget?: string;
  placeholder?: I18nText;
  help?: I18nText;
  readonly?: boolean;
  visibleWhen?: Expression;
  requiredWhen?: Expression;
  readonlyWhen?: Expression;
}

export interface FormSection {
  title?: I18nText;
  columns?: number;
  fields: (string | FormFieldRef)[];
  visibleWhen?: Expression;
}

export interface FormTab {
  title: I18nText;
  sections: FormSection[];
}

export interface FormDef {
  form: string;
  entity: string;
  label?: I18nText;
  /** One of sections or tabs. */
  sections?: FormSection[];
  tabs?: FormTab[];
  overrides?: Record<string, Omit<FormFieldRef, 'field'>>;
}

export interface ApprovalDef {
  /** n approvals needed ... */
  required: number;
  /** ... out of approvers holding one of these roles or permissions (m = how many hold it). */
  approvers: string[];
  /** The requester may never approve their own request (segregation of duties); default false. */
  allowRequester?: boolean;
  /** Approval applies only when this expression holds (e.g. `total_amount > 100000`). */
  when?: Expression;
}

/** Segregation of duties on a transition: who shaped the record may not also fire it. */
export interface SeparationOfDutiesDef {
  /** Whoever created the record or edited it (per its audit trail) may not fire the transition. */
  editors: boolean;
  /** Only edits of these fields count (the creator always does); absent: any edit. */
  fields?: string[];
}

export interface WorkflowState {
  label: I18nText;
  final?: boolean;
  color?: string;
  /** The only fields an edit may change in this state (`[]`: locked); absent: all writable fields. */
  editable?: string[];
  /** Whether a record in this state may be deleted (default true). */
  deletable?: boolean;
}

/** Value for a field update on transition: a literal, `$now`, `$user`, `$today`, or `=<expression>`. */
export type FieldUpdateValue = string | number | boolean | null;

export interface TransitionDef {
  action: string;
  label: I18nText;
  from: string[];
  to: string;
  /** Permission code required; default `<entity>:<action>`. */
  permission?: string;
  /** Roles allowed (in addition to holding the permission). */
  roles?: string[];
  guard?: Expression;
  /** Message shown when the guard fails. */
  guardMessage?: I18nText;
  /** Fields the caller must send with the action (unless the record already has a value). */
  requiredFields?: string[];
  /** Further fields the caller may send with the action; no other field may be sent. */
  optionalFields?: string[];
  /** Per input field: while the expression holds for the record, the action may not change the field. */
  readonlyWhen?: Record<string, Expression>;
  set?: Record<string, FieldUpdateValue>;
  reasonRequired?: boolean;
  signature?: boolean;
  approval?: ApprovalDef;
  separationOfDuties?: SeparationOfDutiesDef;
  emits?: string[];
}

export interface WorkflowDef {
  workflow: string;
  entity: string;
  /** The enum field holding the state; default `status`. */
  field?: string;
  version: number;
  label: I18nText;
  initial: string;
  states: Record<string, WorkflowState>;
  transitions: TransitionDef[];
}

export type WidgetType =
  'card' | 'gauge' | 'line' | 'bar' | 'stacked' | 'pie' | 'pareto' | 'heatmap' | 'table';

export interface DashboardMeasure {
  fn: 'count' | 'countDistinct' | 'sum' | 'avg' | 'min' | 'max';
  field?: string;
  /** Only rows matching it are aggregated (field vs literal, list or another field). */
  where?: Expression;
  /** Multiplies each row's value by this field's (quantity × ideal cycle time). */
  times?: string;
  /** Subtracts this field's value: hours between two datetimes, or the difference of two numbers. */
  minus?: string;
}

export type DashboardGroupBy =
  string | { field: string; bucket?: 'hour' | 'shift' | 'day' | 'week' | 'month' };

/** Field paths the shared filters (date range, line, plant, shift) and time buckets apply to. */
export interface DashboardDimensions {
  time?: string;
  line?: string;
  plant?: string;
  shift?: string;
}

/**
 * Overall equipment effectiveness from output rows (the KPI's entity and measures), lost time and
 * planned production time from the plant's working calendar and shifts, per line, shift and day. The
 * lost time comes either from downtime rows (`downtime`) or from equipment state periods (`states`).
 */
export interface OeeDef {
  /** The number the KPI shows; `mtbf` is run minutes ÷ failures. */
  report: 'oee' | 'availability' | 'performance' | 'quality' | 'mtbf';
  /** Measures summed into good count, total count and Σ ideal cycle seconds × count. */
  good: string[];
  total: string[];
  idealSeconds: string[];
  /** Rows of lost minutes, attributed to the line, day and shift in which each started. */
  downtime?: {
    entity: string;
    filter?: Expression;
    dimensions: DashboardDimensions;
    minutes: DashboardMeasure;
    failures: DashboardMeasure;
  };
  /** Periods of a state history: the part of each lost period inside a planned shift is lost time. */
  states?: OeeStates;
}

/**
 * Periods in which equipment stood (`filter` picks the losing states from the state history), with a
 * start and an end (none while the period lasts). A line loses the time in which any of its periods
 * selected here runs (the union, so two machines down together lose the time once), within each
 * shift it plans, at most the shift's planned minutes.
 */
export interface OeeStates {
  entity: string;
  filter?: Expression;
  /** Datetime fields: when the period started and ended. */
  start: string;
  end: string;
  /** `line` (required) and `plant`: the paths the shared filters and the cells use. */
  dimensions: DashboardDimensions;
  /** The periods that are failures (MTBF's denominator), counted in the shift they start in. */
  failures?: Expression;
}

/**
 * Mean time between failures and mean time to repair from the periods of a state history (the KPI's
 * entity), cut at the requested date range: a failure is a period of a failure state starting in the
 * range, repair time the part of those periods inside it, operating time the part of the operating
 * periods inside it. MTBF = operating minutes ÷ failures, MTTR = repair minutes ÷ failures.
 */
export interface ReliabilityDef {
  /** The number the KPI shows. */
  report: 'mtbf' | 'mttr';
  /** Datetime fields: when the period started and ended (empty while it lasts, until now). */
  start: string;
  end: string;
  /** Count measures (with a `where`) of the periods in a failure state. */
  failures: string[];
  /** Count measures (with a `where`) of the periods in an operating state. */
  operating: string[];
}

/**
 * A KPI over one entity's rows: `numerator`/`denominator` make a ratio (× `scale`), `value` shows one
 * measure (`pareto` adds cumulative shares by group), `ageing` counts rows by age band, `oee` combines
 * output, lost and planned time, `reliability` measures state periods (MTBF, MTTR).
 */
export interface KpiDef {
  label: I18nText;
  formula: I18nText;
  entity: string;
  filter?: Expression;
  dimensions?: DashboardDimensions;
  measures: Record<string, DashboardMeasure>;
  numerator?: string[];
  denominator?: string[];
  scale?: number;
  value?: string;
  groupBy?: DashboardGroupBy;
  pareto?: boolean;
  ageing?: { field: string; bands: number[] };
  oee?: OeeDef;
  reliability?: ReliabilityDef;
  unit?: 'percent' | 'count' | 'quantity' | 'days' | 'hours' | 'minutes' | 'ppm';
  target?: number;
  direction?: 'above' | 'below';
}

export interface DashboardWidget {
  id: string;
  type: WidgetType;
  title: I18nText;
  /** Entity the data comes from; or `kpi`. */
  entity?: string;
  kpi?: string;
  measure?: DashboardMeasure;
  groupBy?: DashboardGroupBy;
  /** Stacked and heatmap widgets: the second grouping (stack segments, heatmap rows). */
  seriesBy?: DashboardGroupBy;
  filter?: Expression;
  dimensions?: DashboardDimensions;
  /** Columns for table widgets. */
  columns?: string[];
  limit?: number;
  span?: number;
  thresholds?: { warning?: number; critical?: number; direction?: 'below' | 'above' };
}

/**
 * An hourly rollup of one entity's rows: a row count and sums by the UTC hour of a datetime and by
 * some of the entity's own fields, kept up to date by the events of every write, so aggregates the
 * rollup can answer read it instead of the rows.
 */
export interface RollupDef {
  entity: string;
  /** Datetime field cut into UTC hours. */
  time: string;
  /** Fields of the entity (relations, enums, strings) the rollup is grouped by. */
  dimensions: string[];
  /** Numeric fields summed. */
  sums: string[];
  /**
   * A text field holding IANA time zones (`plant.timezone`): the daily cells are cut on the wall clock
   * of each zone it holds, besides UTC.
   */
  dayZones?: { entity: string; field: string };
}

export interface DashboardDef {
  dashboard: string;
  label: I18nText;
  module: string;
  refreshSeconds?: number;
  roles?: string[];
  /** Roles whose users land on this dashboard on the home page. */
  homeFor?: string[];
  filters?: ('plant' | 'line' | 'shift' | 'dateRange')[];
  kpis?: Record<string, KpiDef>;
  rollups?: Record<string, RollupDef>;
  widgets: DashboardWidget[];
}

/**
 * Data scope of a role: which rows it sees. `own` = created_by is the user; `department` = the
 * user's department; `department_tree` = that department and below; `line` / `plant` = rows of the
 * user's line or plant; `tenant` / `all`; or a filter expression.
 */
export type DataScope =
  'own' | 'department' | 'department_tree' | 'line' | 'plant' | 'tenant' | 'all' | { filter: Expression };

export interface RoleDef {
  role: string;
  label: I18nText;
  description?: I18nText;
  /** `<entity>:<action>` codes; `*` wildcards allowed (`work_order:*`, `*:read`). */
  permissions: string[];
  /** Field-level rules per entity. */
  fields?: Record<string, { hidden?: string[]; readonly?: string[] }>;
  dataScope?: DataScope;
  /** Per-entity data scope overriding `dataScope`. */
  dataScopes?: Record<string, DataScope>;
  inherits?: string[];
}

export interface PermissionDef {
  permission: string;
  label: I18nText;
  description?: I18nText;
  module: string;
}

export interface MenuItem {
  id: string;
  label: I18nText;
  icon?: string;
  /** Opens the list screen of this entity; the required permission defaults to `<entity>:read`. */
  entity?: string;
  /** Or a UI route (dashboards, trace explorer, editor). */
  route?: string;
  permission?: string;
  order?: number;
  children?: MenuItem[];
}

export interface MenuDef {
  menu: string;
  label: I18nText;
  module: string;
  icon?: string;
  order?: number;
  items: MenuItem[];
}

export interface ModuleDef {
  module: string;
  label: I18nText;
  description?: I18nText;
  database?: LogicalDatabase;
  dependsOn?: string[];
  order?: number;
}

export interface PluginManifest {
  plugin: string;
  version: string;
  label: I18nText;
  description?: I18nText;
  /** semver range of the platform engine this plugin supports. */
  engine: string;
  database: LogicalDatabase;
  /** Other plugins required, name → semver range. */
  dependencies?: Record<string, string>;
  /** Built server entry exporting `register(api)`, relative to the plugin folder. */
  server?: string;
  migrations?: string;
}

export type MetadataDocument =
  | EntityDef
  | FormDef
  | WorkflowDef
  | DashboardDef
  | RoleDef
  | PermissionDef
  | MenuDef
  | ModuleDef
  | PluginManifest;

export type DocumentKind =
  | 'entity'
  | 'form'
  | 'workflow'
  | 'dashboard'
  | 'rule'
  | 'role'
  | 'permission'
  | 'menu'
  | 'module'
  | 'plugin';

/** Where a document came from: the core tree or a plugin, and its file. */
export interface SourceRef {
  file: string;
  /** `core` or the plugin name. */
  origin: string;
}

/** Every document of the platform after loading and validation, grouped by kind. */
export interface MetadataSet {
  modules: Map<string, ModuleDef>;
  entities: Map<string, EntityDef>;
  forms: Map<string, FormDef>;
  workflows: Map<string, WorkflowDef>;
  dashboards: Map<string, DashboardDef>;
  rules: Map<string, RuleDef>;
  roles: Map<string, RoleDef>;
  permissions: Map<string, PermissionDef>;
  menus: Map<string, MenuDef>;
  plugins: Map<string, PluginManifest>;
  /** Source of every document, keyed `<kind>:<name>`. */
  sources: Map<string, SourceRef>;
}

/** A span of time: the parts add up (`{ hours: 1, minutes: 30 }`). */
export interface DurationDef {
  minutes?: number;
  hours?: number;
  days?: number;
}

/** What starts a rule. Record triggers run for each change of a record of the rule's entity. */
export type RuleTrigger =
  | { on: 'created' }
  | { on: 'updated'; fields?: string[] }
  | { on: 'deleted' }
  | {
      on: 'changed';
      field: string;
      from?: string | number | boolean | null;
      to?: string | number | boolean | null;
    }
  | { on: 'transition'; action?: string; to?: string }
  | { on: 'event'; event: string }
  | { on: 'schedule'; cron: string }
  | { on: 'timer'; after: DurationDef; since?: string; state?: string };

/**
 * A number the rule's condition reads by name: the rows of an entity within a time window, counted
 * (`count`) or as the share of them that satisfy `ratio`.
 */
export interface RuleMeasureDef {
  entity: string;
  /** Which rows count at all. */
  where?: Expression;
  /** The share of the counted rows satisfying this condition (0..1); absent = the count. */
  ratio?: Expression;
  /** Only rows whose field (key) equals the record's field (value): `{ work_order: work_order }`. */
  match?: Record<string, string>;
  /** The rows whose time field lies within the last span. */
  window: DurationDef & { field: string };
}

export interface RuleNotifyDef {
  /** Fields of the record holding a user (`assignee`, `department.manager`). */
  users?: string[];
  roles?: string[];
  /** `{field.path}` placeholders are filled from the record. */
  title: I18nText;
  body?: I18nText;
  /** Default: in-app, and e-mail for recipients who keep e-mail on. */
  channels?: ('in_app' | 'email')[];
}

export interface RuleAlertDef {
  title: I18nText;
  severity: 'INFO' | 'WARNING' | 'CRITICAL' | 'FATAL';
  type: 'PRODUCTION' | 'QUALITY' | 'EQUIPMENT' | 'INVENTORY' | 'SYSTEM';
  /** A user field of the record the alert is assigned to. */
  assignee?: string;
  /** An expression whose value is the measured value shown on the alert. */
  value?: Expression;
  /** A field path of the record: one open alert per its value (the station), not per record. */
  per?: string;
}

/** One effect of a rule; exactly one key. `set` and `refuse` may run inside the write. */
export type RuleAction =
  | { set: Record<string, FieldUpdateValue>; record?: string }
  | { refuse: I18nText }
  | { transition: string; record?: string; reason?: string }
  | { create: string; values: Record<string, FieldUpdateValue> }
  | { alert: RuleAlertDef }
  | { notify: RuleNotifyDef }
  | { webhook: string }
  | { startTimer: string }
  | { cancelTimer: string };

/**
 * Whether the record's `time` (a date or datetime field) lies in the working time of the calendar
 * `calendar` leads to (a relation path ending at a `calendar`), its shifts on the wall clock of the
 * time zone `timeZone` names (a path to a text field; UTC when absent). Null when the time or the
 * calendar is empty, so a record without a calendar is never refused.
 */
export interface RuleWorkingDef {
  time: string;
  calendar: string;
  timeZone?: string;
}

/** A business rule (`metadata/modules/<module>/rules/<name>.yaml`). */
export interface RuleDef {
  rule: string;
  label: I18nText;
  module: string;
  entity: string;
  description?: I18nText;
  enabled?: boolean;
  trigger: RuleTrigger;
  when?: Expression;
  measures?: Record<string, RuleMeasureDef>;
  /** Booleans the condition reads by name: whether a time of the record lies in a calendar's working time. */
  working?: Record<string, RuleWorkingDef>;
  actions: RuleAction[];
  /** Attempts of an asynchronous run before it is dead-lettered; default 3. */
  attempts?: number;
}
