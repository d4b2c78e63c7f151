import type Ajv from 'ajv';
import type { CompiledEntity, CompiledField, Model } from '../../../metadata/src/model';
import { SYSTEM_READONLY_PROPERTIES, apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { NotFoundError } from '../crud/errors';
import { compilePayloadValidator, createAjv, type PayloadValidator } from './validators';

/** A field and the API property a body carries its value in (`itemId`, `tagsIds`, `quantity`). */
export interface FieldProperty {
  readonly field: CompiledField;
  readonly property: string;
}

/** Everything the engine precomputes for one entity of one Model. */
export interface EntityRuntime {
  readonly entity: CompiledEntity;
  /** Fields stored in their own column, in declaration order. */
  readonly columnFields: readonly CompiledField[];
  readonly extFields: readonly CompiledField[];
  readonly childrenFields: readonly CompiledField[];
  readonly manyFields: readonly CompiledField[];
  /** Relation, many and children fields with their API property: where a body names other records. */
  readonly referenceFields: readonly FieldProperty[];
  /** Column fields with their API property, in declaration order: what an insert writes. */
  readonly columnProperties: readonly FieldProperty[];
  /** Column and extension fields that declare a default, with their API property. */
  readonly defaultedFields: readonly FieldProperty[];
  /** API property (`itemId`, `tagsIds`, `quantity`) → field. */
  readonly fieldsByProperty: ReadonlyMap<string, CompiledField>;
  /** Properties a client may never write (system columns, readonly fields). */
  readonly readonlyProperties: ReadonlySet<string>;
  readonly validateCreate: PayloadValidator;
  readonly validatePatch: PayloadValidator;
}

/** Runtime artifacts of one Model, built lazily per entity and cached for that Model's lifetime. */
export class ModelRuntime {
  private readonly entities = new Map<string, EntityRuntime>();
  private ajvInstance: Ajv | null = null;

  constructor(readonly model: Model) {}

  entity(name: string): EntityRuntime {
    const cached = this.entities.get(name);
    if (cached) return cached;
    const entity = this.model.entities.get(name);
    if (!entity) throw new NotFoundError('entity', name);
    const built = this.build(entity);
    this.entities.set(name, built);
    return built;
  }

  private ajv(): Ajv {
    this.ajvInstance ??= createAjv();
    return this.ajvInstance;
  }

  private build(entity: CompiledEntity): EntityRuntime {
    const readonlyProperties = new Set<string>(SYSTEM_READONLY_PROPERTIES);
    for (const field of entity.fields) {
      if (field.readonly || field.storage === 'computed') readonlyProperties.add(apiPropertyOf(field));
    }
    const withProperty = (field: CompiledField): FieldProperty => ({ field, property: apiPropertyOf(field) });
    const columnFields = entity.fields.filter((f) => f.storage === 'column');
    const extFields = entity.fields.filter((f) => f.storage === 'ext');
    return {
      entity,
      columnFields,
      extFields,
      childrenFields: entity.fields.filter((f) => f.storage === 'children'),
      manyFields: entity.fields.filter((f) => f.storage === 'many'),
      referenceFields: entity.fields.filter((f) => f.relation || f.many || f.children).map(withProperty),
      columnProperties: columnFields.map(withProperty),
      defaultedFields: [...columnFields, ...extFields]
        .filter((f) => f.def.default !== undefined)
        .map(withProperty),
      fieldsByProperty: new Map(entity.fields.map((f) => [apiPropertyOf(f), f])),
      readonlyProperties,
      validateCreate: compilePayloadValidator(
        this.ajv(),
        this.model,
        entity.name,
        'create',
        readonlyProperties,
      ),
      validatePatch: compilePayloadValidator(
        this.ajv(),
        this.model,
        entity.name,
        'patch',
        readonlyProperties,
      ),
    };
  }
}

const runtimes = new WeakMap<Model, ModelRuntime>();

/** The runtime of a Model; garbage-collected with the Model once no request holds it any more. */
export function runtimeOf(model: Model): ModelRuntime {
  let runtime = runtimes.get(model);
  if (!runtime) {
    runtime = new ModelRuntime(model);
    runtimes.set(model, runtime);
  }
  return runtime;
}
