import type { ExtensionFieldInput, Model } from '../../../metadata/src/model';
import { hasPermission } from '../../../metadata/src/model/permissions';
import { diffSnapshots, type SchemaChange } from '../../../metadata/src/model/schema-diff';
import { emptySnapshot, toSnapshot, type SchemaSnapshot } from '../../../metadata/src/model/snapshot';
import { apiDiff, documentDiff, retainingSnapshot, schemaSteps } from '../../../metadata/src/studio/diff';
import {
  emptyLayer,
  mergeLayer,
  STUDIO_ORIGIN,
  type ChangeSetContent,
  type StudioLayer,
} from '../../../metadata/src/studio/layer';
import { isReservedWord, reservedWordDiagnostics } from '../../../metadata/src/studio/names';
import {
  fieldRenames,
  layerFieldLookup,
  rewriteFieldReferences,
  rewriteViewDefinition,
  type FieldLookup,
  type FieldRename,
} from '../../../metadata/src/studio/renames';
import type { FieldDef } from '../../../metadata/src/types';
import { formDocument } from '../../../metadata/src/forms/form-document';
import { SYSTEM_COLUMNS } from '../../../metadata/src/model/compile';
import { ApiError, ForbiddenError, ValidationError } from '../crud/errors';
import type { EntityService } from '../crud/entity.service';
import type { RecordChanges } from '../crud/hooks';
import type { EntityOperations, EntityRecord, ListResult, RequestContext } from '../crud/types';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { placementOf } from '../data/table-placement';
import { extensionFieldErrors } from '../extensions/extension-field-rules';
import { ExtensionFieldStore } from '../extensions/extension-field-store';
import { auditMetadataChange, type MetadataActor } from '../plugins/metadata-change';
import { MetadataRejectedError } from '../plugins/model-composer';
import type { PluginManager } from '../plugins/plugin-manager';
import { applyReversibly, SchemaStepError } from '../plugins/schema-steps';
import { inverseChanges } from '../../../metadata/src/model/schema-diff';
import { effectivePermissions, type SecureContext } from '../security/principal';
import type { WorkflowActor } from '../workflow/actor';
import type { ActionResult, WorkflowService } from '../workflow/workflow.service';
import type {
  FormPreview,
  PublishedLayer,
  PublishResult,
  RollbackResult,
  StudioCheck,
  StudioError,
  StudioModelSummary,
  StudioVersionSummary,
} from '../contracts/studio';
import { parseContent, toFieldErrors } from './change-set-content';
import { FormOverlayStore } from './form-overlay-store';
import { savedViewsOf } from './saved-view-store';
import {
  StudioVersionStore,
  type StudioDiff,
  type StudioVersion,
  type TenantState,
} from './studio-version-store';

export const CHANGE_SET = 'change_set';
const SAVED_VIEW = 'saved_view';

export const EDIT = 'metadata:edit';
export const PUBLISH = 'metadata:publish';
export const PUBLISH_DESTRUCTIVE = 'metadata:publish_destructive';

export type { StudioCheck, StudioModelSummary };

/** A change set composed against the current studio version, ready to publish. */
interface Plan {
  errors: StudioError[];
  layer: StudioLayer;
  renames: FieldRename[];
  tenants: TenantState;
  model?: Model;
  schema?: SchemaSnapshot;
  changes?: SchemaChange[];
  diff?: StudioDiff;
}

/** A publish prepared outside the transaction, recorded by the transition hook inside it. */
interface PreparedPublish {
  version: Omit<StudioVersion, 'createdAt'>;
  actor: MetadataActor;
  /** The version published before (null before the first). */
  previous: StudioVersion | null;
  /** Fields the publish renames: users' saved views naming them are rewritten with it. */
  renames: FieldRename[];
}

export interface StudioServiceOptions {
  database: EngineDatabase;
  plugins: PluginManager;
  /** The secured record operations (change sets are records like any other). */
  operations: EntityOperations;
  /** The record-change path, whose hooks guard change-set edits. */
  records: EntityService;
  workflows: WorkflowService;
  versions: StudioVersionStore;
  overlays: FormOverlayStore;
}

/**
 * The Metadata Studio: change sets (records with the review workflow), validated by the same
 * validator as `mes validate`, previewed as schema and API diffs, published by migrating additively
 * with the portable migration engine and swapping a newly composed Model in (other instances follow
 * through the metadata sync), recorded as versions that can be rolled back without dropping data.
 */
export class StudioService {
  private readonly extensionFields: ExtensionFieldStore;
  private readonly prepared = new Map<string, PreparedPublish>();

  constructor(private readonly options: StudioServiceOptions) {
    this.extensionFields = new ExtensionFieldStore(options.database.dataSource);
    options.workflows.addTransitionHook({
      entity: CHANGE_SET,
      action: 'publish',
      run: ({ tx, ctx, after, records }) => this.recordPublish(tx, ctx, Number(after.id), records),
    });
    // Content is edited only in a draft: what a reviewer saw is what gets published.
    options.records.hooks.on('before', { entity: CHANGE_SET, action: 'update' }, ({ body, current }) => {
      if (!current || current.status === 'DRAFT') return;
      if ('content' in body || 'baseVersion' in body)
        throw new ApiError(
          'CONFLICT',
          409,
          `change set ${String(current.csNo)} is ${String(current.status)}: reopen it as a draft to edit its content`,
          {
            errors: [
              { field: 'status', path: '/status', rule: 'draft-only', message: 'only drafts are edited' },
            ],
          },
        );
    });
  }

  get versions(): StudioVersionStore {
    return this.options.versions;
  }

  private get operations(): EntityOperations {
    return this.options.operations;
  }

  async list(ctx: SecureContext, query: Record<string, unknown>): Promise<ListResult> {
    requirePermission(ctx, EDIT);
    return this.operations.list(
      CHANGE_SET,
      this.operations.parseListQuery(CHANGE_SET, query, ctx.model),
      ctx,
    );
  }

  async get(ctx: SecureContext, id: number): Promise<EntityRecord> {
    requirePermission(ctx, EDIT);
    return this.operations.get(CHANGE_SET, id, ctx);
  }

  /** A new draft on the current published version. */
  async create(ctx: SecureContext, body: Record<string, unknown>): Promise<EntityRecord> {
    requirePermission(ctx, EDIT);
    const { content, errors } = parseContent(body.content);
    if (errors.length > 0)
      throw new ValidationError(toFieldErrors(errors), 'The change set content is malformed');
    const current = await this.options.versions.current();
    return this.operations.create(
      CHANGE_SET,
      {
        title: body.title,
        ...(body.description !== undefined ? { description: body.description } : {}),
        content,
        baseVersion: current?.version ?? 0,
      },
      ctx,
    );
  }

  /** Edits a draft; `version` is required, a stale one is 409 (two analysts on one change set). */
  async update(ctx: SecureContext, id: number, body: Record<string, unknown>): Promise<EntityRecord> {
    requirePermission(ctx, EDIT);
    const patch: EntityRecord = { version: body.version };
    for (const key of ['title', 'description'] as const) if (key in body) patch[key] = body[key];
    if ('content' in body) {
      const { content, errors } = parseContent(body.content);
      if (errors.length > 0)
        throw new ValidationError(toFieldErrors(errors), 'The change set content is malformed');
      patch.content = content;
    }
    return this.operations.update(CHANGE_SET, id, patch, ctx);
  }

  /** Moves a draft onto the newest published version (its content is validated against it from now on). */
  async rebase(ctx: SecureContext, id: number, version: unknown): Promise<EntityRecord> {
    requirePermission(ctx, EDIT);
    const current = await this.options.versions.current();
    return this.operations.update(CHANGE_SET, id, { version, baseVersion: current?.version ?? 0 }, ctx);
  }

  /** Fires a review action (submit, reject, reopen) of the change set's workflow. */
  fire(
    ctx: SecureContext,
    actor: WorkflowActor,
    id: number,
    action: string,
    body: { version?: number; reason?: string },
  ): Promise<ActionResult> {
    return this.options.workflows.fire(ctx, actor, CHANGE_SET, id, action, body);
  }

  /** Validates the change set as it would be published now, and previews what publishing changes. */
  async check(ctx: SecureContext, id: number): Promise<StudioCheck> {
    requirePermission(ctx, EDIT);
    const record = await this.operations.get(CHANGE_SET, id, ctx);
    return this.checkContent(ctx, record.content, Number(record.baseVersion ?? 0), false);
  }

  /** Validates content that is not saved yet (the designers validate as the analyst types). */
  async checkDraft(ctx: SecureContext, content: unknown): Promise<StudioCheck> {
    requirePermission(ctx, EDIT);
    const current = await this.options.versions.current();
    return this.checkContent(ctx, content, current?.version ?? 0, false);
  }

  /**
   * The form of an entity as the draft would serve it to the caller (the real FormKit schema, layered
   * for the caller's tenant), for the form designer's live preview; with the draft's errors.
   */
  async previewForm(ctx: SecureContext, raw: unknown, entityName: unknown): Promise<FormPreview> {
    const { errors, model, tenants } = await this.draftModel(ctx, raw);
    const entity = typeof entityName === 'string' ? model?.entities.get(entityName) : undefined;
    if (!model || !entity) return { errors, form: null };
    const overlay = tenants[ctx.tenantId]?.formOverlays[entity.name];
    return {
      errors,
      form: formDocument(model, entity, { tenantId: ctx.tenantId, ...(overlay ? { overlay } : {}) }),
    };
  }

  /**
   * The Model a draft would serve, composed on the current published version (for live previews of
   * forms and dashboards); no model when the draft does not compose.
   */
  async draftModel(
    ctx: SecureContext,
    raw: unknown,
  ): Promise<{ errors: StudioError[]; model: Model | null; tenants: TenantState }> {
    requirePermission(ctx, EDIT);
    const parsed = parseContent(raw);
    if (parsed.errors.length > 0) return { errors: parsed.errors, model: null, tenants: {} };
    const plan = await this.plan(ctx, parsed.content, await this.options.versions.current(), false);
    return { errors: plan.errors, model: plan.model ?? null, tenants: plan.tenants };
  }

  private async checkContent(
    ctx: SecureContext,
    raw: unknown,
    baseVersion: number,
    destructive: boolean,
  ): Promise<StudioCheck> {
    const current = await this.options.versions.current();
    const currentVersion = current?.version ?? 0;
    const parsed = parseContent(raw);
    const plan =
      parsed.errors.length > 0
        ? { errors: parsed.errors, layer: emptyLayer(), tenants: {}, renames: [] }
        : await this.plan(ctx, parsed.content, current, destructive);
    return {
      valid: plan.errors.length === 0,
      errors: plan.errors,
      baseVersion,
      currentVersion,
      needsRebase: baseVersion !== currentVersion,
      destructive: plan.diff?.schema.some((s) => s.destructive) ?? false,
      ...(plan.diff ? { diff: plan.diff } : {}),
    };
  }

  /**
   * Publishes a change set in review: refuses it when it was made on an older version (rebase) or
   * does not validate; applies its schema changes (destructive ones only when confirmed by a holder
   * of metadata:publish_destructive), fires the `publish` transition, which records the version, the
   * tenant's extension fields and form overlays and the METADATA_CHANGE audit in its transaction,
   * and swaps the new Model in.
   */
  async publish(
    ctx: SecureContext,
    actor: WorkflowActor,
    id: number,
    body: { version?: unknown; confirmDestructive?: unknown },
  ): Promise<PublishResult> {
    requirePermission(ctx, PUBLISH);
    const destructive = body.confirmDestructive === true;
    if (destructive) requirePermission(ctx, PUBLISH_DESTRUCTIVE);
    return this.options.plugins.changeExclusively(async (swap) => {
      const record = await this.operations.get(CHANGE_SET, id, ctx);
      const current = await this.options.versions.current();
      const currentVersion = current?.version ?? 0;
      if (Number(record.baseVersion ?? 0) !== currentVersion)
        throw new ApiError(
          'CONFLICT',
          409,
          `change set ${String(record.csNo)} was made on version ${String(record.baseVersion)}, but version ${currentVersion} has been published since: reopen it and rebase it onto version ${currentVersion}`,
          {
            rule: 'rebase',
            baseVersion: Number(record.baseVersion ?? 0),
            currentVersion,
            errors: [{ field: 'baseVersion', path: '/baseVersion', rule: 'rebase', message: 'rebase first' }],
          },
        );
      // Who wrote the changes may not publish them (the workflow's separationOfDuties).
      await this.options.workflows.assertSeparated(ctx, actor, CHANGE_SET, id, 'publish');
      const { content, errors: shape } = parseContent(record.content);
      if (shape.length > 0)
        throw new ValidationError(toFieldErrors(shape), 'The change set content is malformed');
      const plan = await this.plan(ctx, content, current, destructive);
      if (plan.errors.length > 0 || !plan.diff || !plan.model || !plan.schema || !plan.changes)
        throw new ValidationError(
          toFieldErrors(plan.errors),
          `change set ${String(record.csNo)} does not validate`,
        );
      refuseOwnRoleChange(actor, ctx.model, plan.model, `change set ${String(record.csNo)}`);
      if (!destructive && plan.diff.schema.some((s) => s.destructive))
        throw new ApiError(
          'CONFLICT',
          409,
          'publishing drops or alters stored data: confirm with confirmDestructive (needs metadata:publish_destructive)',
          { rule: 'destructive', steps: plan.diff.schema.filter((s) => s.destructive) },
        );
      const next = currentVersion + 1;
      const metadataActor = actorOf(ctx);
      const { tenantId } = ctx;
      this.prepared.set(key(tenantId, id), {
        actor: metadataActor,
        version: {
          version: next,
          hash: plan.model.hash,
          createdBy: ctx.userId,
          changeSet: { id, csNo: String(record.csNo), title: String(record.title) },
          layer: plan.layer,
          tenants: plan.tenants,
          schema: plan.schema,
          diff: plan.diff,
        },
        previous: current,
        renames: plan.renames,
      });
      await this.migrate(plan.changes);
      let published: EntityRecord;
      try {
        const result = await this.options.workflows.fire(ctx, actor, CHANGE_SET, id, 'publish', {
          version: typeof body.version === 'number' ? body.version : undefined,
          fields: { publishedVersion: next, diff: plan.diff },
        });
        published = result.record;
      } catch (error) {
        await applyReversibly(this.options.database.dataSource, inverseChanges(plan.changes));
        throw error;
      } finally {
        this.prepared.delete(key(tenantId, id));
      }
      await swap(`studio version ${next} published (${String(record.csNo)})`);
      return { version: next, diff: plan.diff, record: published };
    });
  }

  /**
   * Serves an earlier version's layer and tenant state again as a new version. Nothing is dropped:
   * tables and columns the earlier version did not have stay, with their data, and extension fields
   * it did not have are archived (their values stay in the rows).
   */
  async rollback(ctx: SecureContext, actor: WorkflowActor, target: unknown): Promise<RollbackResult> {
    requirePermission(ctx, PUBLISH);
    return this.options.plugins.changeExclusively(async (swap) => {
      const current = await this.options.versions.current();
      const wanted = typeof target === 'number' && Number.isInteger(target) ? target : NaN;
      const to =
        Number.isNaN(wanted) || wanted < 0
          ? null
          : wanted === 0
            ? 'empty'
            : await this.options.versions.find(wanted);
      if (!current || !to || wanted >= current.version)
        throw new ValidationError([
          {
            field: 'version',
            path: '/version',
            rule: 'version',
            limit: current ? current.version - 1 : 0,
            message: current
              ? `roll back to a published version before ${current.version} (0 = before the first)`
              : 'nothing has been published yet',
          },
        ]);
      const layer = to === 'empty' ? emptyLayer() : to.layer;
      const tenants = to === 'empty' ? {} : to.tenants;
      const extensionFields = await this.extensionInputs(tenants, current.tenants);
      const model = await this.compose(layer, extensionFields);
      if ('errors' in model)
        throw new ValidationError(toFieldErrors(model.errors), `version ${wanted} no longer composes`);
      refuseOwnRoleChange(actor, ctx.model, model, `rolling back to version ${wanted}`);
      const schema = retainingSnapshot(current.schema, toSnapshot(model, { origin: STUDIO_ORIGIN }));
      const changes = diffSnapshots(current.schema, schema, { allowDestructive: true });
      const previousModel = ctx.model;
      const diff: StudioDiff = {
        schema: schemaSteps(changes),
        api: apiDiff(previousModel, model),
        documents: documentDiff(current.layer, layer),
        ...tenantDiff(current.tenants, tenants),
      };
      const next = current.version + 1;
      await this.migrate(changes);
      try {
        await this.options.database.transaction(async (tx) => {
          await this.options.versions.insert(
            tx,
            {
              version: next,
              hash: model.hash,
              createdBy: ctx.userId,
              changeSet: null,
              rollbackOf: wanted,
              layer,
              tenants,
              schema,
              diff,
            },
            current,
          );
          await this.applyTenantState(tx, ctx.userId, current.tenants, tenants);
          await auditMetadataChange(tx, actorOf(ctx), {
            entity: 'metadata_version',
            recordId: String(next),
            operation: 'rollback',
            detail: { version: next, rollbackOf: wanted, diff },
          });
        });
      } catch (error) {
        await applyReversibly(this.options.database.dataSource, inverseChanges(changes));
        throw versionClash(error, next);
      }
      await swap(`studio version ${next} rolls back to version ${wanted}`);
      return { version: next, diff };
    });
  }

  async history(ctx: SecureContext): Promise<StudioVersionSummary[]> {
    requirePermission(ctx, EDIT);
    return (await this.options.versions.list()).map(
      ({ schema: _schema, layer: _layer, tenants: _tenants, ...summary }) => summary,
    );
  }

  /** What the designers offer to choose from: entities with their fields and form sections, roles, modules. */
  summary(ctx: SecureContext): StudioModelSummary {
    requirePermission(ctx, EDIT);
    const model = ctx.model;
    return {
      entities: [...model.entities.values()]
        .filter((e) => !e.owned)
        .map((e) => {
          const form = e.form ? model.forms.get(e.form) : undefined;
          const sections = form?.sections ?? form?.tabs?.flatMap((t) => t.sections) ?? [];
          return {
            name: e.name,
            path: e.path,
            label: e.label,
            module: e.module,
            origin: e.origin,
            extensible: e.extension.allowed,
            archived: e.archived,
            actions: e.actions,
            fields: e.fields.map((f) => ({
              name: f.name,
              type: f.type,
              label: f.label,
              storage: f.storage,
              ...(f.relation ? { to: f.relation.target } : {}),
            })),
            sections: sections.map(
              (section, index) => section.title ?? { en: `Section ${index + 1}`, zh: `分组 ${index + 1}` },
            ),
          };
        }),
      roles: [...model.roles.values()].map((r) => ({
        name: r.role,
        label: r.label,
        permissions: r.permissions,
      })),
      modules: [...model.modules.keys()],
      rules: [...(model.rules?.values() ?? [])],
    };
  }

  /**
   * The Model a draft would serve (for test runs of its rules); refused with the draft's errors on
   * their elements when it does not validate.
   */
  async validDraftModel(ctx: SecureContext, raw: unknown): Promise<Model> {
    const { errors, model } = await this.draftModel(ctx, raw);
    if (!model || errors.length > 0)
      throw new ValidationError(toFieldErrors(errors), 'The change set does not validate');
    return model;
  }

  /** The published studio metadata (what `mes metadata pull` writes as YAML). */
  async published(ctx: SecureContext): Promise<PublishedLayer> {
    requirePermission(ctx, EDIT);
    const current = await this.options.versions.current();
    return {
      version: current?.version ?? 0,
      layer: current?.layer ?? emptyLayer(),
      conflicts: this.options.plugins.studioConflicts().map(fromDiagnostic),
    };
  }

  /** Inside the publish transition's transaction: the version row, the tenant's changes, the audit. */
  private async recordPublish(
    tx: SqlExecutor,
    ctx: RequestContext,
    id: number,
    records: RecordChanges,
  ): Promise<void> {
    const prepared = this.prepared.get(key(ctx.tenantId, id));
    if (!prepared)
      throw new ApiError(
        'CONFLICT',
        409,
        `a change set is published through POST /api/studio/change-sets/${id}/publish, which migrates the schema first`,
        { rule: 'studio-publish' },
      );
    const savedViews = await this.rewriteSavedViews(tx, ctx, records, prepared.renames);
    if (savedViews > 0) prepared.version.diff.savedViews = savedViews;
    try {
      await this.options.versions.insert(tx, prepared.version, prepared.previous);
    } catch (error) {
      throw versionClash(error, prepared.version.version);
    }
    await this.applyTenantState(tx, ctx.userId, prepared.previous?.tenants ?? {}, prepared.version.tenants);
    await auditMetadataChange(tx, prepared.actor, {
      entity: 'change_set',
      recordId: prepared.version.changeSet?.csNo ?? String(id),
      operation: 'publish',
      detail: { version: prepared.version.version, diff: prepared.version.diff },
    });
  }

  /**
   * Users' saved list views of an entity whose fields the publish renames, in every tenant (studio
   * entities are deployment-wide), given the new names through the record-change path as the system
   * (so they are audited like any change); returns how many it rewrote.
   */
  private async rewriteSavedViews(
    tx: SqlExecutor,
    ctx: RequestContext,
    records: RecordChanges,
    renames: readonly FieldRename[],
  ): Promise<number> {
    const savedView = ctx.model.entities.get(SAVED_VIEW);
    if (!savedView || renames.length === 0) return 0;
    const entities = [...new Set(renames.map((r) => r.entity))];
    const views = await savedViewsOf(tx, savedView.table, entities);
    let count = 0;
    for (const view of views) {
      const definition = rewriteViewDefinition(
        view.definition,
        renames.filter((r) => r.entity === view.entityName),
      );
      if (!definition) continue;
      const system: RequestContext = {
        tenantId: view.tenantId,
        userId: null,
        traceId: ctx.traceId,
        model: ctx.model,
      };
      await records.updateIn(tx, SAVED_VIEW, view.id, { definition }, system);
      count += 1;
    }
    return count;
  }

  /** Composes the change set on the current version: validation, schema steps, diffs. */
  private async plan(
    ctx: SecureContext,
    content: ChangeSetContent,
    current: StudioVersion | null,
    destructive: boolean,
  ): Promise<Plan> {
    const baseLayer = current?.layer ?? emptyLayer();
    // A field the change set renames is renamed in every document of the layer that refers to it.
    const renames = fieldRenames(baseLayer, content.documents);
    const merged = mergeLayer(baseLayer, content);
    const { layer, rewritten } = rewriteFieldReferences(
      merged,
      renames,
      layerFieldLookup(merged, modelFieldLookup(ctx.model)),
    );
    const tenants = withTenantChanges(current?.tenants ?? {}, ctx.tenantId, content);
    const errors: StudioError[] = [];
    const loaded = this.options.plugins.loadLayer(content);
    errors.push(
      ...loaded.diagnostics.map(fromDiagnostic),
      ...reservedWordDiagnostics(loaded.documents).map(fromDiagnostic),
    );
    const previousModel = ctx.model;
    errors.push(...this.tenantErrors(previousModel, content, layer));
    const extensionFields = await this.extensionInputs(tenants, current?.tenants ?? {});
    const model = await this.compose(layer, extensionFields);
    if ('errors' in model) return { errors: [...errors, ...model.errors], layer, tenants, renames };
    if (errors.length > 0) return { errors, layer, tenants, renames };
    const physical = current?.schema ?? emptySnapshot();
    const next = toSnapshot(model, { origin: STUDIO_ORIGIN });
    const schema = destructive ? next : retainingSnapshot(physical, next);
    const changes = diffSnapshots(physical, schema, { allowDestructive: true });
    errors.push(...(await this.tableClashes(changes, layer)));
    const dropped = destructive
      ? []
      : schemaSteps(diffSnapshots(physical, next, { allowDestructive: true })).filter(
          (step) => step.destructive && (step.kind === 'dropColumn' || step.kind === 'dropTable'),
        );
    const diff: StudioDiff = {
      schema: schemaSteps(changes),
      ...(dropped.length > 0 ? { dropped } : {}),
      api: apiDiff(previousModel, model),
      documents: documentDiff(baseLayer, layer),
      ...(rewritten.length > 0 ? { references: rewritten } : {}),
      ...tenantDiff(current?.tenants ?? {}, tenants),
    };
    return { errors, layer, tenants, renames, model, schema, changes, diff };
  }

  /** Extension fields and form overlays must name core or plugin entities and fields that exist. */
  private tenantErrors(model: Model, content: ChangeSetContent, layer: StudioLayer): StudioError[] {
    const errors: StudioError[] = [];
    const studioEntities = new Set(
      layer.documents.flatMap((d) =>
        typeof d.entity === 'string' && Object.keys(d)[0] === 'entity' ? [d.entity] : [],
      ),
    );
    const fail = (path: string, rule: string, message: string) =>
      errors.push({ document: 'content', path, rule, message });
    content.extensionFields.forEach((field, index) => {
      const at = `/extensionFields/${index}`;
      const entity = model.entities.get(field.entity);
      if (studioEntities.has(field.entity))
        return fail(
          `${at}/entity`,
          'extension',
          `${field.entity} is a studio entity: add the field to its document`,
        );
      if (!entity)
        return fail(`${at}/entity`, 'relation-target', `entity \`${field.entity}\` does not exist`);
      if (!entity.extension.allowed)
        return fail(`${at}/entity`, 'extension', `${field.entity} does not allow extension fields`);
      for (const error of extensionFieldErrors({ name: field.name, ...field.definition }))
        fail(`${at}/definition${error.path === '/name' ? '' : error.path}`, error.rule, error.message);
      if (SYSTEM_COLUMNS.some((c) => c.column === field.name || c.apiName === field.name))
        fail(`${at}/name`, 'system-column', `\`${field.name}\` is a system column`);
      else if (isReservedWord(field.name))
        fail(`${at}/name`, 'reserved-word', `\`${field.name}\` is an SQL reserved word; choose another name`);
      else if (entity.fieldsByName.has(field.name) && entity.fieldsByName.get(field.name)?.storage !== 'ext')
        fail(`${at}/name`, 'duplicate-name', `${field.entity} already has a field \`${field.name}\``);
    });
    content.formOverlays.forEach((overlay, index) => {
      const at = `/formOverlays/${index}`;
      const entity = model.entities.get(overlay.entity);
      if (!entity) return fail(`${at}/entity`, 'form-entity', `entity \`${overlay.entity}\` does not exist`);
      const added = new Set(
        content.extensionFields.filter((f) => f.entity === overlay.entity).map((f) => f.name),
      );
      const known = (name: string) => entity.fieldsByName.has(name) || added.has(name);
      for (const name of Object.keys(overlay.overlay.fields ?? {}))
        if (!known(name))
          fail(`${at}/overlay/fields/${name}`, 'form-field', `${overlay.entity} has no field \`${name}\``);
      (overlay.overlay.order ?? []).forEach((name, position) => {
        if (!known(name))
          fail(`${at}/overlay/order/${position}`, 'form-field', `${overlay.entity} has no field \`${name}\``);
      });
    });
    return errors;
  }

  /** A studio entity may not take a table the database already holds for something else. */
  private async tableClashes(changes: readonly SchemaChange[], layer: StudioLayer): Promise<StudioError[]> {
    const created = changes.flatMap((c) => (c.kind === 'createTable' ? [c.table] : []));
    if (created.length === 0) return [];
    const { dataSource } = this.options.database;
    const placement = placementOf(dataSource);
    const runner = dataSource.createQueryRunner();
    try {
      // One look-up for all of them: a change set may create hundreds of tables.
      const found = await runner.getTables(created.map((table) => placement.path(table.name)));
      const existing = new Set(found.map((table) => table.name.split('.').pop()));
      const errors: StudioError[] = [];
      for (const table of created) {
        if (!existing.has(table.name)) continue;
        const owner = layer.documents.some((d) => d.entity === table.entity) ? table.entity : table.name;
        errors.push({
          document: `studio/entity/${owner}`,
          path: '/entity',
          rule: 'duplicate-table',
          message: `table \`${table.name}\` already exists in the database; give the entity another name or \`table:\``,
        });
      }
      return errors;
    } finally {
      await runner.release();
    }
  }

  private async compose(
    layer: StudioLayer,
    extensionFields: ExtensionFieldInput[],
  ): Promise<Model | { errors: StudioError[] }> {
    try {
      return await this.options.plugins.composeWith(layer, extensionFields);
    } catch (error) {
      if (error instanceof MetadataRejectedError) return { errors: error.diagnostics.map(fromDiagnostic) };
      throw error;
    }
  }

  /**
   * The extension fields the Model would hold with `tenants` as the studio's tenant state: those
   * registered now, less the studio's that the state no longer has, plus the state's own.
   */
  private async extensionInputs(tenants: TenantState, before: TenantState): Promise<ExtensionFieldInput[]> {
    const inState = new Set(
      Object.entries(tenants).flatMap(([tenant, s]) =>
        s.extensionFields.map((f) => `${tenant}/${f.entity}.${f.name}`),
      ),
    );
    const studioOwned = new Set(
      Object.entries(before).flatMap(([tenant, s]) =>
        s.extensionFields.map((f) => `${tenant}/${f.entity}.${f.name}`),
      ),
    );
    const inputs: ExtensionFieldInput[] = [];
    const seen = new Set<string>();
    for (const record of await this.extensionFields.list()) {
      const id = `${record.tenantId}/${record.entity}.${record.name}`;
      if (record.status !== 'active' || (studioOwned.has(id) && !inState.has(id))) continue;
      seen.add(id);
      inputs.push(inputOf(record.entity, record.name, record.def, record.tenantId, record.promotedColumn));
    }
    for (const [tenant, state] of Object.entries(tenants))
      for (const field of state.extensionFields) {
        const id = `${tenant}/${field.entity}.${field.name}`;
        if (!seen.has(id)) inputs.push(inputOf(field.entity, field.name, field.definition, tenant, null));
      }
    return mergeTenants(inputs);
  }

  /** Makes ext_field and ext_form_overlay hold `next` where the studio's state was `previous`. */
  private async applyTenantState(
    tx: SqlExecutor,
    by: string | null,
    previous: TenantState,
    next: TenantState,
  ): Promise<void> {
    const tenantIds = new Set([...Object.keys(previous), ...Object.keys(next)]);
    for (const tenantId of tenantIds) {
      const before = previous[tenantId] ?? { extensionFields: [], formOverlays: {} };
      const after = next[tenantId] ?? { extensionFields: [], formOverlays: {} };
      for (const field of before.extensionFields)
        if (!after.extensionFields.some((f) => f.entity === field.entity && f.name === field.name)) {
          const record = await this.extensionFields.findIn(tx, tenantId, field.entity, field.name);
          if (record?.status === 'active')
            await this.extensionFields.update(record, { status: 'archived' }, by, tx);
        }
      for (const field of after.extensionFields) {
        const record = await this.extensionFields.findIn(tx, tenantId, field.entity, field.name);
        if (!record)
          await this.extensionFields.insert(tenantId, field.entity, field.name, field.definition, by, tx);
        else if (
          record.status !== 'active' ||
          JSON.stringify(record.def) !== JSON.stringify(field.definition)
        )
          await this.extensionFields.update(record, { status: 'active', def: field.definition }, by, tx);
      }
      const entities = new Set([...Object.keys(before.formOverlays), ...Object.keys(after.formOverlays)]);
      for (const entity of entities) {
        const overlay = after.formOverlays[entity] ?? null;
        if (JSON.stringify(overlay) !== JSON.stringify(before.formOverlays[entity] ?? null))
          await this.options.overlays.put(tx, tenantId, entity, overlay, by);
      }
    }
  }

  private async migrate(changes: readonly SchemaChange[]): Promise<void> {
    try {
      await applyReversibly(this.options.database.dataSource, changes);
    } catch (error) {
      if (error instanceof SchemaStepError)
        throw new ApiError('BUSINESS_RULE', 422, `migration ${error.message}; earlier changes were undone`, {
          rule: 'migration',
        });
      throw error;
    }
  }
}

/** Fields of the Model's entities (name → relation target), for following paths through relations. */
function modelFieldLookup(model: Model): FieldLookup {
  return (name) => {
    const entity = model.entities.get(name);
    return entity
      ? new Map(entity.fields.map((field) => [field.name, field.relation?.target ?? null]))
      : undefined;
  };
}

function key(tenantId: string, id: number): string {
  return `${tenantId}/${id}`;
}

/** The caller must hold the permission; the message names it. */
export function requirePermission(ctx: SecureContext, code: string): void {
  if (!hasPermission(effectivePermissions(ctx.principal, ctx.model), code))
    throw new ForbiddenError(`This needs the permission ${code}`, { required: code });
}

/**
 * Segregation of duties on grants: whoever holds a role whose permissions a publish changes may not
 * be the one who publishes it (403 `separation-of-duties`, naming the roles).
 */
function refuseOwnRoleChange(actor: WorkflowActor, before: Model, after: Model, what: string): void {
  const permissions = (model: Model, role: string) =>
    JSON.stringify([...(model.roles.get(role)?.permissions ?? [])].sort());
  const roles = actor.roles.filter((role) => permissions(before, role) !== permissions(after, role));
  if (roles.length === 0) return;
  const message = `${what} changes the permissions of ${roles.join(', ')}, which you hold: someone who does not hold ${roles.length > 1 ? 'them' : 'it'} publishes it (separation of duties)`;
  throw new ForbiddenError(message, {
    rule: 'separation-of-duties',
    errors: [
      { field: 'grants', path: '/content/grants', rule: 'separation-of-duties', limit: roles, message },
    ],
  });
}

function actorOf(ctx: SecureContext): MetadataActor {
  return {
    tenantId: ctx.tenantId,
    id: ctx.principal.userId,
    name: ctx.principal.username,
    ip: ctx.client?.ip ?? null,
    userAgent: ctx.client?.userAgent ?? null,
    traceId: ctx.traceId ?? null,
  };
}

function fromDiagnostic(diagnostic: {
  file: string;
  path: string;
  rule: string;
  message: string;
  line: number;
  col: number;
}): StudioError {
  return {
    document: diagnostic.file,
    path: diagnostic.path,
    rule: diagnostic.rule,
    message: diagnostic.message,
    line: diagnostic.line,
    col: diagnostic.col,
  };
}

/** The tenant state with one tenant's extension fields added (or redefined) and overlays merged. */
function withTenantChanges(state: TenantState, tenantId: string, content: ChangeSetContent): TenantState {
  if (content.extensionFields.length === 0 && content.formOverlays.length === 0) return state;
  const own = state[tenantId] ?? { extensionFields: [], formOverlays: {} };
  const fields = own.extensionFields.filter(
    (f) => !content.extensionFields.some((n) => n.entity === f.entity && n.name === f.name),
  );
  const overlays = { ...own.formOverlays };
  // A change set's overlay changes the fields it names (and the order, when it gives one) on top of
  // the tenant's published overlay, so an analyst relabelling one field keeps the earlier changes.
  for (const { entity, overlay } of content.formOverlays) {
    const before = overlays[entity] ?? {};
    const fields = { ...before.fields };
    for (const [name, change] of Object.entries(overlay.fields ?? {}))
      fields[name] = { ...fields[name], ...change };
    const order = overlay.order ?? before.order;
    overlays[entity] = {
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
      ...(order ? { order } : {}),
    };
  }
  return {
    ...state,
    [tenantId]: { extensionFields: [...fields, ...content.extensionFields], formOverlays: overlays },
  };
}

function tenantDiff(
  before: TenantState,
  after: TenantState,
): Pick<StudioDiff, 'extensionFields' | 'formOverlays'> {
  const names = (state: TenantState) =>
    new Set(
      Object.entries(state).flatMap(([t, s]) => s.extensionFields.map((f) => `${t}/${f.entity}.${f.name}`)),
    );
  const had = names(before);
  const has = names(after);
  const overlays = new Set<string>();
  for (const tenant of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[tenant]?.formOverlays ?? {};
    const b = after[tenant]?.formOverlays ?? {};
    for (const entity of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (JSON.stringify(a[entity] ?? null) !== JSON.stringify(b[entity] ?? null))
        overlays.add(`${tenant}/${entity}`);
  }
  return {
    extensionFields: {
      added: [...has].filter((n) => !had.has(n)),
      archived: [...had].filter((n) => !has.has(n)),
    },
    formOverlays: [...overlays],
  };
}

function inputOf(
  entity: string,
  name: string,
  def: FieldDef,
  tenantId: string,
  promotedColumn: string | null,
): ExtensionFieldInput {
  return {
    entity,
    name,
    def,
    ...(tenantId === '*' ? {} : { tenants: [tenantId] }),
    ...(promotedColumn ? { promotedColumn } : {}),
  };
}

/** One input per entity and name, visible to every tenant that registered it. */
function mergeTenants(inputs: ExtensionFieldInput[]): ExtensionFieldInput[] {
  const merged = new Map<string, ExtensionFieldInput>();
  for (const input of inputs) {
    const id = `${input.entity}.${input.name}`;
    const existing = merged.get(id);
    if (!existing) merged.set(id, { ...input });
    else {
      existing.tenants =
        existing.tenants && input.tenants ? [...existing.tenants, ...input.tenants] : undefined;
      if (input.promotedColumn) existing.promotedColumn = input.promotedColumn;
    }
  }
  return [...merged.values()];
}

/** Two publishes raced to the same version number: the loser is asked to rebase. */
function versionClash(error: unknown, version: number): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (/unique|duplicate/i.test(message) && /ext_metadata_version|version/i.test(message))
    return new ApiError(
      'CONFLICT',
      409,
      `version ${version} was published concurrently: rebase and publish again`,
      {
        rule: 'rebase',
      },
    );
  return error;
}
