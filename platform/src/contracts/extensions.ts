/** Types of the extension field administration API the browser app reads; type-only, no runtime code. */
import type { FieldDef } from '../../../metadata/src/types';

/** `active` fields are in the Model; `archived` ones were deleted (their values stay in the rows' ext). */
export type ExtensionFieldStatus = 'active' | 'archived';

/** An extension field as the admin API shows it. */
export interface ExtensionFieldView {
  entity: string;
  name: string;
  tenantId: string;
  status: ExtensionFieldStatus;
  version: number;
  definition: FieldDef;
  /** The indexed generated column filters and sorts on this field use, or null. */
  promotedColumn: string | null;
}
