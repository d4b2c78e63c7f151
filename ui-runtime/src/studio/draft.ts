/** The change set being edited, shared by the editor and its designers. */
import { inject, provide, reactive, type InjectionKey } from 'vue';
import {
  documentKey,
  emptyContent,
  type ChangeSetContent,
  type MetadataDocument,
  type ModelSummary,
  type StudioError,
} from './studio-api';

export interface DraftState {
  content: ChangeSetContent;
  errors: StudioError[];
  /** Entities, roles and modules of the served Model (relation targets, core entities, grants). */
  model: ModelSummary;
  readonly: boolean;
}

const KEY: InjectionKey<DraftState> = Symbol('studio-draft');

export function provideDraft(): DraftState {
  const state = reactive<DraftState>({
    content: emptyContent(),
    errors: [],
    model: { entities: [], roles: [], modules: [], rules: [] },
    readonly: false,
  });
  provide(KEY, state);
  return state;
}

export function useDraft(): DraftState {
  const state = inject(KEY);
  if (!state) throw new Error('useDraft() outside a change set editor');
  return state;
}

/** Documents of a kind in the draft. */
export function documentsOf(content: ChangeSetContent, kind: string): MetadataDocument[] {
  return content.documents.filter((d) => documentKey(d).kind === kind);
}

/** The errors concerning one document (and, with `path`, one element of it). */
export function errorsAt(
  errors: readonly StudioError[],
  kind: string,
  name: string,
  path = '',
): StudioError[] {
  return errors.filter(
    (e) => e.document === `studio/${kind}/${name}` && (path === '' || e.path.startsWith(path)),
  );
}
