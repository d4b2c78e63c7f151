import type { SchemaObject } from 'ajv';
import dashboard from '../../schema/dashboard.schema.json';
import defs from '../../schema/defs.schema.json';
import entity from '../../schema/entity.schema.json';
import form from '../../schema/form.schema.json';
import menu from '../../schema/menu.schema.json';
import moduleSchema from '../../schema/module.schema.json';
import permission from '../../schema/permission.schema.json';
import plugin from '../../schema/plugin.schema.json';
import rule from '../../schema/rule.schema.json';
import role from '../../schema/role.schema.json';
import workflow from '../../schema/workflow.schema.json';
import type { DocumentKind } from '../types';

/** The meta-schemas (metadata/schema/*.schema.json), imported so the build ships them with the code. */
export const KIND_SCHEMAS: Readonly<Record<DocumentKind, SchemaObject>> = {
  module: moduleSchema,
  entity,
  form,
  workflow,
  dashboard,
  rule,
  role,
  permission,
  menu,
  plugin,
};

export const SHARED_SCHEMAS: readonly SchemaObject[] = [defs];

/** Every schema by file name (`entity.schema.json`), the form `$ref`s use. */
export function schemaByFileName(fileName: string): SchemaObject | undefined {
  return [...SHARED_SCHEMAS, ...Object.values(KIND_SCHEMAS)].find((schema) =>
    String(schema.$id).endsWith(`/${fileName}`),
  );
}
