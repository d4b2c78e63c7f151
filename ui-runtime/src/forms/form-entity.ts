import type { InjectionKey, Ref } from 'vue';
import type { EntityMeta } from '../api/meta';

/** The entity a form edits, for inputs that need to know it (relation pickers ask its lookup). */
export const FORM_ENTITY: InjectionKey<Ref<EntityMeta | null>> = Symbol('mes.formEntity');

/** Server messages for child-table cells, by JSON path (`/roles/0/roleId`). */
export const CHILD_ERRORS: InjectionKey<Ref<Map<string, string>>> = Symbol('mes.childErrors');
