/**
 * Field renames carried through a studio layer: when a change set renames a field of a published
 * studio entity (the field declares `renamedFrom`), every reference to the old name in the layer's
 * documents — workflows, forms, lists, rules, dashboards, roles and the entity itself — is rewritten
 * to the new name in the same publish. Expressions are rewritten through the expression language's
 * parser: only identifier segments that resolve to the renamed field change, the rest of the text is
 * kept as written. Pure: the platform supplies how entities' fields are found.
 */
import { ExpressionError, identifierNodes, parseExpression } from '../expression';
import { tokenize } from '../expression/tokenizer';
import { camelCase } from '../model/naming';
import { pointer } from '../loader';
import { documentKey, studioFileOf, type StudioDocument, type StudioLayer } from './layer';

/** A field of a studio entity given a new name (`entity.from` → `entity.to`). */
export interface FieldRename {
  entity: string;
  from: string;
  to: string;
}

/** One reference the rename rewrote: where, and the value before and after. */
export interface RewrittenReference {
  /** `studio/<kind>/<name>` */
  document: string;
  /** JSON pointer inside the document. */
  path: string;
  from: string;
  to: string;
}

/** The fields of an entity as far as paths need them: name → relation target (or null). */
export type FieldLookup = (entity: string) => ReadonlyMap<string, string | null> | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The field renames a change set's entity documents make on top of `base`: a field with
 * `renamedFrom: old` where the base layer's document of the entity has `old` and not the new name.
 */
export function fieldRenames(base: StudioLayer, documents: readonly StudioDocument[]): FieldRename[] {
  const renames: FieldRename[] = [];
  for (const document of documents) {
    const key = documentKey(document);
    if (key?.kind !== 'entity' || !isObject(document.fields)) continue;
    const before = base.documents.find((d) => documentKey(d)?.kind === 'entity' && d.entity === key.name);
    if (!before || !isObject(before.fields)) continue;
    const published = before.fields;
    for (const [name, field] of Object.entries(document.fields)) {
      const from = isObject(field) ? field.renamedFrom : undefined;
      if (typeof from !== 'string' || from === name) continue;
      if (Object.hasOwn(published, from) && !Object.hasOwn(published, name))
        renames.push({ entity: key.name, from, to: name });
    }
  }
  return renames;
}

/**
 * Field lookup over a layer's entity documents (as they will be published) and, for entities the
 * layer does not declare, `fallback` (the Model's core and plugin entities).
 */
export function layerFieldLookup(layer: StudioLayer, fallback: FieldLookup): FieldLookup {
  const own = new Map<string, Map<string, string | null>>();
  for (const document of layer.documents) {
    if (documentKey(document)?.kind !== 'entity' || !isObject(document.fields)) continue;
    const fields = new Map<string, string | null>();
    for (const [name, field] of Object.entries(document.fields))
      fields.set(
        name,
        isObject(field) && field.type === 'relation' && typeof field.to === 'string' ? field.to : null,
      );
    own.set(String(document.entity), fields);
  }
  return (entity) => own.get(entity) ?? fallback(entity);
}

/**
 * The layer with every reference to a renamed field rewritten, and the references it rewrote. A
 * document nothing in it refers to is kept as the same object.
 */
export function rewriteFieldReferences(
  layer: StudioLayer,
  renames: readonly FieldRename[],
  lookup: FieldLookup,
): { layer: StudioLayer; rewritten: RewrittenReference[] } {
  if (renames.length === 0) return { layer, rewritten: [] };
  const rewritten: RewrittenReference[] = [];
  const documents = layer.documents.map((document) => {
    const key = documentKey(document);
    if (!key) return document;
    const rewriter = new Rewriter(renames, lookup, studioFileOf(key.kind, key.name), rewritten);
    const copy = structuredClone(document);
    const changed = rewriter.document(key.kind, copy);
    return changed ? copy : document;
  });
  return { layer: { ...layer, documents }, rewritten };
}

/** Rewrites the references of one document (a mutable copy), recording what it changed. */
class Rewriter {
  private changed = false;

  constructor(
    private readonly renames: readonly FieldRename[],
    private readonly lookup: FieldLookup,
    private readonly file: string,
    private readonly out: RewrittenReference[],
  ) {}

  document(kind: string, doc: Record<string, unknown>): boolean {
    switch (kind) {
      case 'entity':
        this.entity(doc);
        break;
      case 'form':
        this.form(doc);
        break;
      case 'workflow':
        this.workflow(doc);
        break;
      case 'rule':
        this.rule(doc);
        break;
      case 'dashboard':
        this.dashboard(doc);
        break;
      case 'role':
        this.role(doc);
        break;
    }
    return this.changed;
  }

  // ---- primitives -------------------------------------------------------------------------------

  /** The new segments of a dot path read from `entity`, or null when no segment is renamed. */
  private renamedSegments(entity: string | undefined, segments: readonly string[]): string[] | null {
    let current = entity;
    let changed = false;
    const result = [...segments];
    for (const [index, segment] of segments.entries()) {
      if (current === undefined) break;
      const rename = this.renames.find((r) => r.entity === current && r.from === segment);
      const name = rename ? rename.to : segment;
      if (rename) {
        result[index] = name;
        changed = true;
      }
      const target = this.lookup(current)?.get(name);
      current = target ?? undefined;
    }
    return changed ? result : null;
  }

  private record(path: string, from: string, to: string): void {
    this.out.push({ document: this.file, path, from, to });
    this.changed = true;
  }

  /** A field path (`line.code`, `-due_date` for a descending sort) at `holder[key]`. */
  private path(
    entity: string | undefined,
    holder: Record<string, unknown> | unknown[],
    key: string | number,
    at: string[],
  ): void {
    const value = (holder as Record<string | number, unknown>)[key];
    if (typeof value !== 'string' || value.length === 0) return;
    const descending = value.startsWith('-');
    const segments = (descending ? value.slice(1) : value).split('.');
    const renamed = this.renamedSegments(entity, segments);
    if (!renamed) return;
    const next = `${descending ? '-' : ''}${renamed.join('.')}`;
    (holder as Record<string | number, unknown>)[key] = next;
    this.record(pointer(...at, key), value, next);
  }

  private paths(
    entity: string | undefined,
    holder: Record<string, unknown>,
    key: string,
    at: string[],
  ): void {
    const list = holder[key];
    if (typeof list === 'string') return this.path(entity, holder, key, at);
    if (!Array.isArray(list)) return;
    list.forEach((_, index) => this.path(entity, list, index, [...at, key]));
  }

  /** Keys of a map that name fields (`set`, `readonlyWhen`, role field rules): renamed in place, order kept. */
  private keys(entity: string | undefined, holder: Record<string, unknown>, key: string, at: string[]): void {
    const map = holder[key];
    if (!isObject(map)) return;
    let renamedAny = false;
    const entries = Object.entries(map).map(([name, value]) => {
      const renamed = this.renamedSegments(entity, name.split('.'));
      if (!renamed) return [name, value] as const;
      renamedAny = true;
      const next = renamed.join('.');
      this.record(pointer(...at, key, name), name, next);
      return [next, value] as const;
    });
    if (renamedAny) holder[key] = Object.fromEntries(entries);
  }

  /**
   * An expression at `holder[key]`: parsed, and each identifier segment that resolves to a renamed
   * field replaced at its position in the source. `prefix` is text before the expression (`=` of a
   * computed field update); `names` are names the expression reads besides fields.
   */
  private expression(
    entity: string | undefined,
    holder: Record<string, unknown> | unknown[],
    key: string | number,
    at: string[],
    prefix = '',
    names: ReadonlySet<string> = new Set(),
  ): void {
    const value = (holder as Record<string | number, unknown>)[key];
    if (typeof value !== 'string' || !value.startsWith(prefix)) return;
    const next = prefix + this.rewriteExpression(entity, value.slice(prefix.length), names);
    if (next === value) return;
    (holder as Record<string | number, unknown>)[key] = next;
    this.record(pointer(...at, key), value, next);
  }

  private rewriteExpression(entity: string | undefined, source: string, names: ReadonlySet<string>): string {
    let identifiers;
    let tokens;
    try {
      identifiers = identifierNodes(parseExpression(source));
      tokens = tokenize(source);
    } catch (error) {
      // An expression that does not parse is left to the validator, which names it.
      if (error instanceof ExpressionError) return source;
      throw error;
    }
    const edits: { column: number; length: number; text: string }[] = [];
    for (const identifier of identifiers) {
      const name = identifier.path.join('.');
      if (name.startsWith('$') || names.has(name)) continue;
      const renamed = this.renamedSegments(entity, identifier.path);
      if (!renamed) continue;
      // The identifier's segments are the identifier tokens from its first column, between dots.
      const start = tokens.findIndex((token) => token.column === identifier.column);
      identifier.path.forEach((segment, index) => {
        const token = tokens[start + index * 2];
        if (renamed[index] !== segment && token?.type === 'identifier' && token.text === segment)
          edits.push({ column: token.column, length: segment.length, text: renamed[index] });
      });
    }
    let result = source;
    for (const edit of edits.sort((a, b) => b.column - a.column))
      result = result.slice(0, edit.column - 1) + edit.text + result.slice(edit.column - 1 + edit.length);
    return result;
  }

  private expressions(
    entity: string | undefined,
    holder: Record<string, unknown>,
    keys: string[],
    at: string[],
  ): void {
    for (const key of keys) this.expression(entity, holder, key, at);
  }

  /** Field updates: keys are fields of `entity`, `=<expression>` values read `source`. */
  private updates(
    entity: string | undefined,
    source: string | undefined,
    holder: Record<string, unknown>,
    key: string,
    at: string[],
    names: ReadonlySet<string> = new Set(),
  ): void {
    const map = holder[key];
    if (!isObject(map)) return;
    for (const name of Object.keys(map)) this.expression(source, map, name, [...at, key], '=', names);
    this.keys(entity, holder, key, at);
  }

  // ---- documents --------------------------------------------------------------------------------

  private entity(doc: Record<string, unknown>): void {
    const name = String(doc.entity);
    for (const key of ['display', 'businessKey']) this.path(name, doc, key, []);
    if (isObject(doc.identifier)) {
      this.path(name, doc.identifier, 'field', ['identifier']);
      this.identifierPattern(name, doc.identifier);
    }
    if (isObject(doc.fields))
      for (const [fieldName, field] of Object.entries(doc.fields)) {
        if (!isObject(field)) continue;
        const at = ['fields', fieldName];
        this.expressions(name, field, ['visibleWhen', 'requiredWhen', 'readonlyWhen', 'expression'], at);
        const target = typeof field.to === 'string' ? field.to : undefined;
        if (field.type === 'relation') this.path(target, field, 'display', at);
        if (field.type === 'children') {
          this.path(target, field, 'foreignKey', at);
          this.path(target, field, 'orderBy', at);
        }
      }
    if (Array.isArray(doc.indexes))
      doc.indexes.forEach((index, i) => {
        if (isObject(index)) this.paths(name, index, 'fields', ['indexes', String(i)]);
      });
    if (isObject(doc.list)) this.listView(name, doc.list, ['list']);
    if (isObject(doc.views))
      for (const [view, def] of Object.entries(doc.views))
        if (isObject(def)) this.listView(name, def, ['views', view]);
  }

  private identifierPattern(entity: string, identifier: Record<string, unknown>): void {
    const pattern = identifier.pattern;
    if (typeof pattern !== 'string') return;
    const next = pattern.replace(/\{([^}]+)\}/g, (token, body: string) => {
      if (/^(YYYY|YYYYMM|YYYYMMDD|TENANT)$/.test(body) || body.startsWith('seq')) return token;
      const renamed = this.renamedSegments(entity, body.split('.'));
      return renamed ? `{${renamed.join('.')}}` : token;
    });
    if (next === pattern) return;
    identifier.pattern = next;
    this.record(pointer('identifier', 'pattern'), pattern, next);
  }

  private listView(entity: string, view: Record<string, unknown>, at: string[]): void {
    for (const key of ['columns', 'defaultSort', 'filters', 'search']) this.paths(entity, view, key, at);
    this.path(entity, view, 'kanban', at);
    if (isObject(view.schedule))
      for (const key of ['start', 'end', 'lane', 'calendar', 'timeZone'])
        this.path(entity, view.schedule, key, [...at, 'schedule']);
  }

  private form(doc: Record<string, unknown>): void {
    const entity = typeof doc.entity === 'string' ? doc.entity : undefined;
    const section = (value: unknown, at: string[]) => {
      if (!isObject(value)) return;
      this.expression(entity, value, 'visibleWhen', at);
      if (!Array.isArray(value.fields)) return;
      const fields = value.fields;
      fields.forEach((ref, i) => {
        if (typeof ref === 'string') this.path(entity, fields, i, [...at, 'fields']);
        else if (isObject(ref)) {
          const refAt = [...at, 'fields', String(i)];
          this.path(entity, ref, 'field', refAt);
          this.expressions(entity, ref, ['visibleWhen', 'requiredWhen', 'readonlyWhen'], refAt);
        }
      });
    };
    if (Array.isArray(doc.sections)) doc.sections.forEach((s, i) => section(s, ['sections', String(i)]));
    if (Array.isArray(doc.tabs))
      doc.tabs.forEach((tab, t) => {
        if (isObject(tab) && Array.isArray(tab.sections))
          tab.sections.forEach((s, i) => section(s, ['tabs', String(t), 'sections', String(i)]));
      });
    if (isObject(doc.overrides)) {
      for (const [field, override] of Object.entries(doc.overrides))
        if (isObject(override))
          this.expressions(
            entity,
            override,
            ['visibleWhen', 'requiredWhen', 'readonlyWhen'],
            ['overrides', field],
          );
      this.keys(entity, doc, 'overrides', []);
    }
  }

  private workflow(doc: Record<string, unknown>): void {
    const entity = typeof doc.entity === 'string' ? doc.entity : undefined;
    this.path(entity, doc, 'field', []);
    if (isObject(doc.states))
      for (const [state, def] of Object.entries(doc.states))
        if (isObject(def)) this.paths(entity, def, 'editable', ['states', state]);
    if (!Array.isArray(doc.transitions)) return;
    doc.transitions.forEach((transition, i) => {
      if (!isObject(transition)) return;
      const at = ['transitions', String(i)];
      this.expression(entity, transition, 'guard', at);
      this.paths(entity, transition, 'requiredFields', at);
      this.paths(entity, transition, 'optionalFields', at);
      if (isObject(transition.readonlyWhen)) {
        for (const field of Object.keys(transition.readonlyWhen))
          this.expression(entity, transition.readonlyWhen, field, [...at, 'readonlyWhen']);
        this.keys(entity, transition, 'readonlyWhen', at);
      }
      this.updates(entity, entity, transition, 'set', at);
      if (isObject(transition.approval))
        this.expression(entity, transition.approval, 'when', [...at, 'approval']);
      if (isObject(transition.separationOfDuties))
        this.paths(entity, transition.separationOfDuties, 'fields', [...at, 'separationOfDuties']);
    });
  }

  private rule(doc: Record<string, unknown>): void {
    const entity = typeof doc.entity === 'string' ? doc.entity : undefined;
    const measures = new Set(isObject(doc.measures) ? Object.keys(doc.measures) : []);
    if (isObject(doc.trigger)) {
      this.paths(entity, doc.trigger, 'fields', ['trigger']);
      this.path(entity, doc.trigger, 'field', ['trigger']);
      this.path(entity, doc.trigger, 'since', ['trigger']);
    }
    this.expression(entity, doc, 'when', [], '', measures);
    if (isObject(doc.measures))
      for (const [name, measure] of Object.entries(doc.measures)) {
        if (!isObject(measure)) continue;
        const at = ['measures', name];
        const source = typeof measure.entity === 'string' ? measure.entity : undefined;
        this.expressions(source, measure, ['where', 'ratio'], at);
        if (isObject(measure.match)) {
          for (const key of Object.keys(measure.match))
            this.path(entity, measure.match, key, [...at, 'match']);
          this.keys(source, measure, 'match', at);
        }
        if (isObject(measure.window)) this.path(source, measure.window, 'field', [...at, 'window']);
      }
    if (isObject(doc.working))
      for (const [name, working] of Object.entries(doc.working))
        if (isObject(working))
          for (const key of ['time', 'calendar', 'timeZone'])
            this.path(entity, working, key, ['working', name]);
    if (!Array.isArray(doc.actions)) return;
    doc.actions.forEach((action, i) => {
      if (!isObject(action)) return;
      const at = ['actions', String(i)];
      if (isObject(action.set)) {
        // `record` moves the update to a related record: its keys are that record's fields.
        const target = typeof action.record === 'string' ? this.target(entity, action.record) : entity;
        this.path(entity, action, 'record', at);
        this.updates(target, entity, action, 'set', at, measures);
      }
      if ('transition' in action) this.path(entity, action, 'record', at);
      if (isObject(action.create) || typeof action.create === 'string')
        this.updates(
          typeof action.create === 'string' ? action.create : undefined,
          entity,
          action,
          'values',
          at,
          measures,
        );
      if (isObject(action.alert)) {
        const alertAt = [...at, 'alert'];
        this.path(entity, action.alert, 'assignee', alertAt);
        this.path(entity, action.alert, 'per', alertAt);
        this.expression(entity, action.alert, 'value', alertAt, '', measures);
      }
      if (isObject(action.notify)) this.paths(entity, action.notify, 'users', [...at, 'notify']);
    });
  }

  /** The entity a relation path from `entity` leads to (through the new names). */
  private target(entity: string | undefined, path: string): string | undefined {
    let current = entity;
    for (const segment of path.split('.')) {
      if (current === undefined) return undefined;
      const rename = this.renames.find((r) => r.entity === current && r.from === segment);
      current = this.lookup(current)?.get(rename ? rename.to : segment) ?? undefined;
    }
    return current;
  }

  private dashboard(doc: Record<string, unknown>): void {
    const measure = (entity: string | undefined, value: unknown, at: string[]) => {
      if (!isObject(value)) return;
      for (const key of ['field', 'times', 'minus']) this.path(entity, value, key, at);
      this.expression(entity, value, 'where', at);
    };
    const dimensions = (entity: string | undefined, holder: Record<string, unknown>, at: string[]) => {
      if (isObject(holder.dimensions))
        for (const key of ['time', 'line', 'plant', 'shift'])
          this.path(entity, holder.dimensions, key, [...at, 'dimensions']);
    };
    const groupBy = (
      entity: string | undefined,
      holder: Record<string, unknown>,
      key: string,
      at: string[],
    ) => {
      if (typeof holder[key] === 'string') this.path(entity, holder, key, at);
      else if (isObject(holder[key])) this.path(entity, holder[key], 'field', [...at, key]);
    };
    const entityOf = (holder: Record<string, unknown>) =>
      typeof holder.entity === 'string' ? holder.entity : undefined;
    if (isObject(doc.kpis))
      for (const [name, kpi] of Object.entries(doc.kpis)) {
        if (!isObject(kpi)) continue;
        const at = ['kpis', name];
        const entity = entityOf(kpi);
        this.expression(entity, kpi, 'filter', at);
        dimensions(entity, kpi, at);
        if (isObject(kpi.measures))
          for (const [m, def] of Object.entries(kpi.measures)) measure(entity, def, [...at, 'measures', m]);
        groupBy(entity, kpi, 'groupBy', at);
        if (isObject(kpi.ageing)) this.path(entity, kpi.ageing, 'field', [...at, 'ageing']);
        if (isObject(kpi.oee)) {
          const oeeAt = [...at, 'oee'];
          const { downtime, states } = kpi.oee;
          if (isObject(downtime)) {
            const source = entityOf(downtime);
            const dAt = [...oeeAt, 'downtime'];
            this.expression(source, downtime, 'filter', dAt);
            dimensions(source, downtime, dAt);
            measure(source, downtime.minutes, [...dAt, 'minutes']);
            measure(source, downtime.failures, [...dAt, 'failures']);
          }
          if (isObject(states)) {
            const source = entityOf(states);
            const sAt = [...oeeAt, 'states'];
            this.expressions(source, states, ['filter', 'failures'], sAt);
            for (const key of ['start', 'end']) this.path(source, states, key, sAt);
            dimensions(source, states, sAt);
          }
        }
      }
    if (isObject(doc.rollups))
      for (const [name, rollup] of Object.entries(doc.rollups)) {
        if (!isObject(rollup)) continue;
        const at = ['rollups', name];
        const entity = entityOf(rollup);
        this.path(entity, rollup, 'time', at);
        this.paths(entity, rollup, 'dimensions', at);
        this.paths(entity, rollup, 'sums', at);
        if (isObject(rollup.dayZones))
          this.path(entityOf(rollup.dayZones), rollup.dayZones, 'field', [...at, 'dayZones']);
      }
    if (Array.isArray(doc.widgets))
      doc.widgets.forEach((widget, i) => {
        if (!isObject(widget)) return;
        const at = ['widgets', String(i)];
        const entity = entityOf(widget);
        measure(entity, widget.measure, [...at, 'measure']);
        groupBy(entity, widget, 'groupBy', at);
        groupBy(entity, widget, 'seriesBy', at);
        this.expression(entity, widget, 'filter', at);
        dimensions(entity, widget, at);
        this.paths(entity, widget, 'columns', at);
      });
  }

  private role(doc: Record<string, unknown>): void {
    if (isObject(doc.fields))
      for (const [entity, rules] of Object.entries(doc.fields))
        if (isObject(rules))
          for (const kind of ['hidden', 'readonly']) this.paths(entity, rules, kind, ['fields', entity]);
    if (isObject(doc.dataScopes))
      for (const [entity, scope] of Object.entries(doc.dataScopes))
        if (isObject(scope)) this.expression(entity, scope, 'filter', ['dataScopes', entity]);
  }
}

/**
 * A user's saved list view (`{search, filters, sort, columns, pageSize}`) of the renamed fields'
 * entity with the renamed fields given their new names: `columns` and the `filters` keys name fields
 * (a key may carry an operator, `field[in]`), `sort` names a field or its API name, `-` first for
 * descending. Everything else is kept. Null when nothing in it names a renamed field.
 */
export function rewriteViewDefinition(
  definition: unknown,
  renames: readonly FieldRename[],
): Record<string, unknown> | null {
  if (!isObject(definition) || renames.length === 0) return null;
  let changed = false;
  const renamed = (key: string): string => {
    const match = /^(-?)([A-Za-z_][A-Za-z0-9_]*)(\[.*\])?$/.exec(key);
    if (!match) return key;
    const [, sign = '', name = '', operator = ''] = match;
    for (const { from, to } of renames) {
      const next = name === from ? to : name === camelCase(from) ? camelCase(to) : null;
      if (next === null) continue;
      changed = true;
      return `${sign}${next}${operator}`;
    }
    return key;
  };
  const copy: Record<string, unknown> = { ...definition };
  if (Array.isArray(definition.columns))
    copy.columns = definition.columns.map((c) => (typeof c === 'string' ? renamed(c) : c));
  if (typeof definition.sort === 'string') copy.sort = renamed(definition.sort);
  if (isObject(definition.filters))
    copy.filters = Object.fromEntries(
      Object.entries(definition.filters).map(([key, value]) => [renamed(key), value]),
    );
  return changed ? copy : null;
}
