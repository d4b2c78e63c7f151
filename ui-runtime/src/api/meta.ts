/** Shapes of `GET /api/meta/entities[/:entity]` the screens read, as the server declares them. */
import type { EntityRecord as ServedRecord } from '../../../platform/src/contracts/crud';

export type { ListResult as ListPage } from '../../../platform/src/contracts/crud';
export type {
  EntityMeta,
  EntitySummary,
  FieldMeta,
  ListViewDef,
  WorkflowDef,
} from '../../../platform/src/contracts/meta';

/** Text a screen shows: a plain string or one per locale (`text()` picks the locale's). */
export type I18nText = string | { en?: string; zh?: string } | Record<string, string>;

/** A record as the screens hold it: a stored record always has its id. */
export type EntityRecord = ServedRecord & { id: number; version?: number };
