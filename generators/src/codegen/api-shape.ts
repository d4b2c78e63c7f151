import { entityApiSchema, type ApiSchemaMode, type JsonSchema } from '../../../metadata/src/model/api-schema';
import type { CompiledEntity, Model } from '../../../metadata/src/model';

/**
 * One property of an API payload or record, read from the JSON Schema the server validates with
 * (metadata/src/model/api-schema.ts), so DTOs, the client and docs can never drift from the server.
 */
export interface ApiProperty {
  name: string;
  /** TypeScript type of the value. */
  tsType: string;
  /** Must be present in the payload. */
  required: boolean;
  /** OpenAPI options for `@ApiProperty`, in the order they are printed. */
  openApi: Record<string, unknown>;
  description: string;
}

/** JSON Schema keywords @nestjs/swagger's ApiProperty understands, copied as they are. */
const OPENAPI_KEYWORDS = [
  'format',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'default',
];

function typesOf(schema: JsonSchema): string[] {
  const type = schema.type;
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return typeof type === 'string' ? [type] : [];
}

/** TypeScript type of a JSON Schema: literal unions for enums, `T | null` for nullable types. */
export function tsTypeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const types = typesOf(schema);
  if (types.length === 0) return 'unknown';
  return types
    .map((type) => {
      switch (type) {
        case 'string':
          return 'string';
        case 'integer':
        case 'number':
          return 'number';
        case 'boolean':
          return 'boolean';
        case 'null':
          return 'null';
        case 'array': {
          const items = (schema.items ?? {}) as JsonSchema;
          const item = tsTypeOf(items);
          return item.includes(' ') ? `(${item})[]` : `${item}[]`;
        }
        default:
          return 'Record<string, unknown>';
      }
    })
    .join(' | ');
}

/** Options of `@ApiProperty` / `@ApiPropertyOptional` (which of the two says whether it is required). */
function openApiOf(schema: JsonSchema): Record<string, unknown> {
  const types = typesOf(schema);
  const nonNull = types.filter((t) => t !== 'null');
  const options: Record<string, unknown> = {};
  if (nonNull.length === 1) options.type = nonNull[0];
  if (types.includes('null')) options.nullable = true;
  if (nonNull[0] === 'array') {
    const items = (schema.items ?? {}) as JsonSchema;
    options.items = { type: typesOf(items).find((t) => t !== 'null') ?? 'object' };
  }
  if (nonNull.length === 1 && nonNull[0] === 'object') options.additionalProperties = true;
  for (const keyword of OPENAPI_KEYWORDS) {
    const value = schema[keyword];
    if (value === undefined) continue;
    if (keyword === 'enum' && Array.isArray(value)) options.enum = value.filter((v) => v !== null);
    // OpenAPI 3.0 (what @nestjs/swagger emits) spells an exclusive bound as minimum + a flag.
    else if (keyword === 'exclusiveMinimum')
      Object.assign(options, { minimum: value, exclusiveMinimum: true });
    else options[keyword] = value;
  }
  if (typeof schema.description === 'string') options.description = schema.description;
  return options;
}

/** The properties of one payload shape of an entity, in schema order. */
export function apiProperties(model: Model, entity: CompiledEntity, mode: ApiSchemaMode): ApiProperty[] {
  const schema = entityApiSchema(model, entity.name, mode);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    tsType: tsTypeOf(property),
    required: required.has(name),
    openApi: openApiOf(property),
    description: typeof property.description === 'string' ? property.description : name,
  }));
}
