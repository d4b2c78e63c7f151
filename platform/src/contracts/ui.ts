/** Types of the form API (`/api/ui/forms/:entity`) the browser app reads; type-only, no runtime code. */
import type { FormDocument } from '../../../metadata/src/forms/form-document';

/** The served form: the live Model's form for the caller; `schema` null when the caller's copy is it. */
export type ServedForm = Omit<FormDocument, 'schema'> & { hash: string; schema: unknown };
