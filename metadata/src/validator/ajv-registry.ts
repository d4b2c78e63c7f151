import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { DocumentKind } from '../types';
import { KIND_SCHEMAS, SHARED_SCHEMAS } from './schemas';

let compiled: Map<DocumentKind, ValidateFunction> | undefined;

/** One validator per document kind, compiled once per process. */
export function schemaValidator(kind: DocumentKind): ValidateFunction {
  if (!compiled) {
    // verbose: errors carry their parent schema, which lists the keys allowed for did-you-mean hints.
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    for (const schema of SHARED_SCHEMAS) ajv.addSchema(schema);
    compiled = new Map(
      (Object.entries(KIND_SCHEMAS) as [DocumentKind, object][]).map(([name, schema]) => [
        name,
        ajv.compile(schema),
      ]),
    );
  }
  const validator = compiled.get(kind);
  if (!validator) throw new Error(`no meta-schema for document kind ${kind}`);
  return validator;
}
