import type { CompiledEntity } from '../../../metadata/src/model';
import { apiPropertyOf } from '../../../metadata/src/model/api-schema';
import { identifierNodes, parseExpression } from '../../../metadata/src/expression';
import type { WorkflowDef } from '../../../metadata/src/types';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  labelFieldsOf,
  NotFoundError,
  UnknownFieldError,
} from '../crud/errors';
import type { CurrentRecord, EntityService } from '../crud/entity.service';
import type { RecordChanges, TransitionChange } from '../crud/hooks';
import { engineContext } from '../crud/request-context';
import { serializeRow } from '../crud/serializer';
import type { EntityRecord, FieldError, RequestContext, WriteAccess } from '../crud/types';
import { readonlyWhenErrors } from '../crud/readonly-when';
import { bodyErrors, throwFieldErrors } from '../crud/validation';
import type { EngineDatabase, SqlExecutor } from '../data/database';
import { compileFilter } from '../data/query-compiler';
import { RowStore, type DbRow } from '../data/row-store';
import { runtimeOf, type EntityRuntime } from '../kernel/model-runtime';
import type { VotableApproval } from '../contracts/automation';
import type { ActionBody, ActionResult, AvailableAction } from '../contracts/workflow';
import { recordEditors } from '../audit/audit-history';
import type { WorkflowActor } from './actor';
import { castVote, mayVote } from './approval-rules';
import {
  actorMayFire,
  assertSeparated,
  currentState,
  findTransition,
  guardHolds,
  permissionOf,
  planTransition,
  type TransitionPlan,
  type TransitionRequest,
} from './transition-rules';
import { WorkflowStore, type HistoryRow, type RecordRef } from './workflow-store';

export type { ActionBody, ActionResult, AvailableAction };

/** The client that sent an e-signature, for throttling and the audit record of a failure. */
export interface SignatureClient {
  ip?: string | null;
  userAgent?: string | null;
}

/** What a transition hook sees: the applied transition and the record before and after, inside its transaction. */
export interface TransitionHookArgs {
  tx: SqlExecutor;
  ctx: RequestContext;
  entity: string;
  action: string;
  from: string;
  to: string;
  actorId: string;
  before: EntityRecord;
  after: EntityRecord;
  /**
   * Extra payload per event type the transition emits, merged over the generic payload: a hook adds
   * what its event's catalogue entry carries beyond the record's changed fields.
   */
  eventData: Record<string, Record<string, unknown>>;
  /** The record-change path, for the records the hook creates or changes in the transaction. */
  records: RecordChanges;
}

/**
 * Domain behaviour of a transition (e.g. release creates lots); throwing rolls the transition back.
 * `*` matches any entity or action.
 */
export interface TransitionHook {
  entity: string;
  action: string;
  run(args: TransitionHookArgs): Promise<void>;
}

/** A transition that has committed, for hooks that act after it (plugins). */
export interface CommittedTransition {
  ctx: RequestContext;
  entity: string;
  id: number;
  action: string;
  from: string;
  to: string;
  record: EntityRecord;
}

/** Runs after an applied transition committed; its failure cannot undo the transition. */
export type AfterTransitionHook = (transition: CommittedTransition) => Promise<void>;

export interface WorkflowServiceOptions {
  /** Domain behaviour run inside the transaction of matching transitions, in order. */
  transitionHooks?: readonly TransitionHook[];
  /**
   * Checks an e-signature password (the security layer's verifier, which throttles and audits
   * failures like sign-ins and may throw 429).
   */
  verifyPassword: (
    ctx: RequestContext,
    userId: string,
    password: string,
    client: SignatureClient,
  ) => Promise<boolean>;
}

/**
 * Runs workflow actions on records: loads the record (in the caller's row scope) and the workflow
 * versions it started with, checks the transition rules and the fields the caller sends, collects
 * approvals, and applies the transition as one change of EntityService's record-change path: the
 * record's hooks see action `transition`, and the outbox and audit writers record its events and
 * audit record. Instance and history rows are written in the same transaction.
 */
export class WorkflowService {
  private readonly store = new WorkflowStore();

  /** `workflow@version` of the definitions known to be stored: pinning skips registering them. */
  private readonly storedDefinitions = new Set<string>();

  constructor(
    private readonly db: EngineDatabase,
    private readonly records: EntityService,
    options: WorkflowServiceOptions,
  ) {
    this.verifyPassword = options.verifyPassword;
    for (const hook of options.transitionHooks ?? []) this.addTransitionHook(hook);
  }

  private readonly verifyPassword: WorkflowServiceOptions['verifyPassword'];

  /**
   * Adds domain behaviour of matching transitions, run inside the transition's transaction as an
   * in-transaction hook of the record (before its outbox and audit writers); returns its remover.
   */
  addTransitionHook(hook: TransitionHook): () => void {
    return this.records.hooks.on(
      'inTransaction',
      { entity: hook.entity, action: 'transition' },
      async ({ tx, ctx, entity, record, previous, transition, records }) => {
        if (!transition || (hook.action !== '*' && hook.action !== transition.action)) return;
        await hook.run({
          tx,
          ctx,
          entity,
          action: transition.action,
          from: transition.from,
          to: transition.to,
          actorId: ctx.userId ?? 'system',
          before: previous ?? {},
          after: record,
          eventData: transition.eventData,
          records,
        });
      },
    );
  }

  /** Adds a hook run after each applied transition commits; returns the function that removes it. */
  addAfterTransitionHook(hook: AfterTransitionHook): () => void {
    return this.records.hooks.on(
      'after',
      { entity: '*', action: 'transition' },
      async ({ ctx, entity, record, transition }) => {
        if (!transition) return;
        const { action, from, to } = transition;
        await hook({ ctx, entity, id: Number(record.id), action, from, to, record });
      },
    );
  }

  async fire(
    ctx: RequestContext,
    actor: WorkflowActor,
    entity: string,
    id: number,
    action: string,
    body: ActionBody,
    client: SignatureClient = {},
  ): Promise<ActionResult> {
    const ref: RecordRef = { tenant: ctx.tenantId, entity, recordId: id };
    // Before the transaction: a failed signature is counted and audited, not rolled back with it.
    const signed = await this.verifySignature(ctx, actor, ref, action, body, client);
    try {
      return await this.records.transaction((tx) =>
        this.fireIn(tx, ctx, actor, entity, id, action, body, signed),
      );
    } catch (error) {
      // Field messages of the refusal name the entity's fields by label in the caller's language.
      throw labelFieldsOf(error, runtimeOf(ctx.model).entity(entity).entity);
    }
  }

  /**
   * Fires an action inside a transaction already open: for the engine's own changes that move a
   * record along its workflow (a failed test sends its serial to rework; a rule's transition commits
   * with the rule run's progress). No e-signature is collected here: `signed` says whether the caller
   * verified one; the actor's permission, the guards and the row scope apply as for `fire`.
   */
  async fireIn(
    tx: SqlExecutor,
    ctx: RequestContext,
    actor: WorkflowActor,
    entity: string,
    id: number,
    action: string,
    body: ActionBody,
    signed = false,
  ): Promise<ActionResult> {
    const rt = runtimeOf(ctx.model).entity(entity);
    const ref: RecordRef = { tenant: ctx.tenantId, entity, recordId: id };
    // The versions the record follows are those it is pinned to below: pinning stores the current ones.
    const { workflows } = await this.workflowsOf(tx, ctx, ref);
    const pending = await this.store.pendingApproval(tx, ref, action);
    // The caller's field rules and row scope are those of the grant that fires the transition (a vote
    // needs the record readable): the row is read once, with that scope compiled into the read, so a
    // row outside it is missing to the caller before any rule of the transition is judged.
    const grant = pending ? 'read' : firingGrant(workflows, entity, action);
    const current = await this.records.current(tx, entity, id, readableIn(ctx, entity, grant), grant);
    const { row, record: before } = current;
    if (body.version !== undefined && Number(row.version) !== body.version) {
      throw new ConflictError(entity, id, Number(row.version), body.version);
    }
    await this.pin(tx, ctx, ref, this.toMetadata(rt.entity, before));
    if (pending) return this.vote(tx, ctx, actor, rt.entity, ref, current, workflows, pending, body);

    const { transition } = findTransition(workflows, action);
    const sent = this.callerFields(rt, transition, body.fields ?? {}, Number(row.version), ctx);
    // readonlyWhen of the field, its form and the transition: while it holds, the action may not change it.
    throwFieldErrors(readonlyWhenErrors(ctx.model, rt, before, sent, '/fields', transition.readonlyWhen));
    const editors = await this.editorsFor(tx, ctx, rt.entity, ref, transition);
    const request: TransitionRequest = {
      action,
      reason: body.reason ?? null,
      fields: this.toMetadata(rt.entity, sent),
      signed,
    };
    const plan = planTransition({
      workflows,
      record: await this.expressionRecord(tx, ctx, rt.entity, before, workflows),
      actor,
      ...(editors ? { editors } : {}),
      request,
      now: new Date(),
      apiNameOf: (field) => this.apiNameOf(rt.entity, field),
      labelOf: (field) => rt.entity.fieldsByName.get(field)?.label,
    });
    if (Object.keys(sent).length > 0) ctx.access?.checkFields(entity, grant, sent);
    if (plan.needsApproval) {
      const required = plan.transition.approval!.required;
      await this.store.requestApproval(tx, ref, {
        def: plan.workflow,
        action,
        requester: actor.userId,
        reason: request.reason ?? null,
        fields: { ...request.fields },
        required,
      });
      return {
        status: 'PENDING_APPROVAL' as const,
        action,
        from: plan.from,
        to: plan.to,
        record: before,
        approvals: { approvals: 0, required },
      };
    }
    const changeCtx = { ...ctx, userId: actor.userId };
    const record = await this.apply(tx, changeCtx, rt.entity, ref, current, plan, {
      reason: request.reason ?? null,
      signed,
      approvalId: null,
      scopeAction: grant,
    });
    return { status: 'APPLIED' as const, action, from: plan.from, to: plan.to, record };
  }

  /**
   * The fields a caller sends with an action, checked like a PATCH of them: only the inputs the
   * transition declares (`requiredFields`, `optionalFields`) may be sent at all, since what its
   * `set` block writes is the engine's, and their values pass the entity's validation, readonly
   * flags included. Unknown names and fields that are no input of the transition are 400.
   */
  private callerFields(
    rt: EntityRuntime,
    transition: WorkflowDef['transitions'][number],
    fields: Record<string, unknown>,
    version: number,
    ctx: RequestContext,
  ): EntityRecord {
    const entity = rt.entity;
    const known = new Set(entity.fields.map((field) => apiPropertyOf(field)));
    for (const name of Object.keys(fields)) if (!known.has(name)) throw new UnknownFieldError(name, 'fields');
    const declared = [...(transition.requiredFields ?? []), ...(transition.optionalFields ?? [])];
    const inputs = declared.map((field) => this.apiNameOf(entity, field));
    const refused: FieldError[] = Object.keys(fields)
      .filter((name) => !inputs.includes(name))
      .map((name) => ({
        field: name,
        path: `/fields/${name}`,
        rule: 'input',
        limit: inputs,
        message: `'${name}' is not an input of '${transition.action}', which takes ${inputs.join(', ') || 'no fields'}`,
      }));
    if (refused.length > 0)
      throw new BadRequestError(refused.map((error) => error.message).join('; '), { errors: refused });
    const errors = bodyErrors(rt, { ...fields, version }, 'patch', ctx.tenantId);
    throwFieldErrors(errors.map((error) => ({ ...error, path: `/fields${error.path}` })));
    return { ...fields };
  }

  /** What this actor may do on the record now: transitions from its state they may fire whose guard holds, and votes they may cast. */
  async available(
    ctx: RequestContext,
    actor: WorkflowActor,
    entity: string,
    id: number,
  ): Promise<AvailableAction[]> {
    const rt = runtimeOf(ctx.model).entity(entity);
    const ref: RecordRef = { tenant: ctx.tenantId, entity, recordId: id };
    const sql = this.db.executor();
    const row = await this.readableRow(sql, ctx, rt.entity, ref);
    const { workflows } = await this.workflowsOf(sql, ctx, ref);
    const record = await this.expressionRecord(
      sql,
      ctx,
      rt.entity,
      serializeRow(rt, row, ctx.tenantId),
      workflows,
    );
    const actions: AvailableAction[] = [];
    for (const workflow of workflows) {
      const state = currentState(workflow, record);
      for (const transition of workflow.transitions) {
        if (!transition.from.includes(state)) continue;
        const editors = await this.editorsFor(sql, ctx, rt.entity, ref, transition);
        if (editors?.has(actor.userId)) continue;
        const pending = transition.approval
          ? await this.store.pendingApproval(sql, ref, transition.action)
          : null;
        const allowed = pending
          ? mayVote(transition.approval!, pending, actor)
          : actorMayFire(workflow, transition, actor) && guardHolds(transition, record);
        if (!allowed) continue;
        actions.push({
          action: transition.action,
          label: transition.label,
          to: transition.to,
          reasonRequired: Boolean(transition.reasonRequired),
          signature: Boolean(transition.signature),
          requiredFields: (transition.requiredFields ?? []).map((field) => this.apiNameOf(rt.entity, field)),
          approvalVote: pending !== null,
        });
      }
    }
    return actions;
  }

  /**
   * Refuses the actor (403 `separation-of-duties`) when the action separates duties and they created
   * or edited the record: for callers that must know before they prepare the action (the studio
   * checks before it migrates). `fire` applies the same rule.
   */
  async assertSeparated(
    ctx: RequestContext,
    actor: WorkflowActor,
    entity: string,
    id: number,
    action: string,
  ): Promise<void> {
    const rt = runtimeOf(ctx.model).entity(entity);
    const ref: RecordRef = { tenant: ctx.tenantId, entity, recordId: id };
    const sql = this.db.executor();
    const { transition } = findTransition((await this.workflowsOf(sql, ctx, ref)).workflows, action);
    const editors = await this.editorsFor(sql, ctx, rt.entity, ref, transition);
    assertSeparated(transition, actor, editors, (field) => rt.entity.fieldsByName.get(field)?.label);
  }

  /** Who created or edited the record (its audit trail), when the transition separates duties. */
  private async editorsFor(
    sql: SqlExecutor,
    ctx: RequestContext,
    entity: CompiledEntity,
    ref: RecordRef,
    transition: WorkflowDef['transitions'][number],
  ): Promise<Set<string> | undefined> {
    const rule = transition.separationOfDuties;
    if (!rule?.editors) return undefined;
    const fields = rule.fields?.map((field) => this.apiNameOf(entity, field));
    return recordEditors(sql, ctx.tenantId, ref.entity, String(ref.recordId), fields);
  }

  /** Open approvals of the tenant the actor may vote on now (the task inbox). */
  async votableApprovals(ctx: RequestContext, actor: WorkflowActor, limit = 200): Promise<VotableApproval[]> {
    const sql = this.db.executor();
    const votable: VotableApproval[] = [];
    for (const pending of await this.store.openApprovals(sql, ctx.tenantId, limit)) {
      const def =
        (await this.store.definition(sql, pending.workflow, pending.workflowVersion)) ??
        ctx.model.workflows.get(pending.workflow);
      const approval = def?.transitions.find((t) => t.action === pending.action)?.approval;
      if (!approval || !mayVote(approval, pending, actor)) continue;
      votable.push({
        approvalId: pending.id,
        entity: pending.entity,
        recordId: pending.recordId,
        action: pending.action,
        requester: pending.requester,
        reason: pending.reason,
        requestedAt: pending.requestedAt,
        approvals: pending.votes.filter((vote) => vote.decision === 'approve').length,
        required: pending.required,
      });
    }
    return votable;
  }

  async history(ctx: RequestContext, entity: string, id: number): Promise<HistoryRow[]> {
    const rt = runtimeOf(ctx.model).entity(entity);
    const ref: RecordRef = { tenant: ctx.tenantId, entity, recordId: id };
    const sql = this.db.executor();
    await this.readableRow(sql, ctx, rt.entity, ref);
    return this.store.history(sql, ref);
  }

  private async vote(
    tx: SqlExecutor,
    ctx: RequestContext,
    actor: WorkflowActor,
    entity: CompiledEntity,
    ref: RecordRef,
    current: CurrentRecord,
    workflows: WorkflowDef[],
    pending: NonNullable<Awaited<ReturnType<WorkflowStore['pendingApproval']>>>,
    body: ActionBody,
  ): Promise<ActionResult> {
    const before = current.record;
    const workflow = workflows.find((w) => w.workflow === pending.workflow)!;
    const transition = workflow.transitions.find((t) => t.action === pending.action)!;
    const decision = body.decision ?? 'approve';
    const outcome = castVote(transition.approval!, pending, actor, decision);
    await this.store.recordVote(tx, pending.id, { approver: actor.userId, decision }, body.comment ?? null);
    const from = currentState(workflow, this.toMetadata(entity, before));
    const approvals = { approvals: outcome.approvals, required: outcome.required };
    if (outcome.outcome === 'pending')
      return {
        status: 'PENDING_APPROVAL',
        action: pending.action,
        from,
        to: transition.to,
        record: before,
        approvals,
      };
    if (outcome.outcome === 'rejected') {
      await this.store.closeApproval(tx, pending.id, 'REJECTED');
      return { status: 'REJECTED', action: pending.action, from, to: from, record: before, approvals };
    }
    await this.store.closeApproval(tx, pending.id, 'APPROVED');
    // The requester's permission, reason and signature were checked when they asked; the rules are
    // re-checked against the record as it is now, on the requester's behalf. The vote that completes
    // the approval is what fires the transition, so `$user` in its field updates is that approver.
    const requester: WorkflowActor = { userId: actor.userId, roles: [], hasPermission: () => true };
    const plan = planTransition({
      workflows: [workflow],
      record: await this.expressionRecord(tx, ctx, entity, before, [workflow]),
      actor: requester,
      request: { action: pending.action, reason: pending.reason, fields: pending.fields, signed: true },
      now: new Date(),
      apiNameOf: (field) => this.apiNameOf(entity, field),
      labelOf: (field) => entity.fieldsByName.get(field)?.label,
    });
    // The change is the requester's, checked when they asked; the approver's own rules do not apply.
    const record = await this.apply(tx, engineContext(ctx, pending.requester), entity, ref, current, plan, {
      reason: pending.reason,
      signed: Boolean(transition.signature),
      approvalId: pending.id,
      scopeAction: 'update',
    });
    return { status: 'APPLIED', action: pending.action, from: plan.from, to: plan.to, record, approvals };
  }

  /** Writes the transition through the record-change path, then its instance and history rows. */
  private async apply(
    tx: SqlExecutor,
    ctx: RequestContext,
    entity: CompiledEntity,
    ref: RecordRef,
    current: CurrentRecord,
    plan: TransitionPlan,
    meta: { reason: string | null; signed: boolean; approvalId: number | null; scopeAction: string },
  ): Promise<EntityRecord> {
    const actorId = ctx.userId ?? 'system';
    const fields = this.toApi(entity, plan.updates);
    // The payload names the display field as metadata does (`wo_no`); the records speak API names.
    const display = entity.display;
    const displayApi = this.apiNameOf(entity, display);
    const transition: TransitionChange = {
      workflow: plan.workflow.workflow,
      action: plan.transition.action,
      from: plan.from,
      to: plan.to,
      reason: meta.reason,
      events: plan.events,
      eventPayload: {
        ...plan.updates,
        id: ref.recordId,
        ...(display ? { [display]: fields[displayApi] ?? current.record[displayApi] ?? null } : {}),
        action: plan.transition.action,
        from: plan.from,
        to: plan.to,
        reason: meta.reason,
        by: actorId,
      },
      eventData: {},
    };
    const after = await this.records.updateIn(tx, entity.name, ref.recordId, fields, ctx, {
      current,
      transition,
      scopeAction: meta.scopeAction,
    });
    await this.store.saveInstance(tx, ref, plan.workflow, plan.to, false);
    await this.store.appendHistory(tx, ref, {
      workflow: plan.workflow.workflow,
      workflowVersion: plan.workflow.version,
      action: plan.transition.action,
      from: plan.from,
      to: plan.to,
      actor: actorId,
      reason: meta.reason,
      signed: meta.signed,
      approvalId: meta.approvalId,
      traceId: ctx.traceId,
    });
    return after;
  }

  /**
   * Pins a record to the current version of each workflow of its entity it has not entered yet, at
   * its first action: a record that has run none has no instance row and follows the current
   * versions (it is in the state its status field holds, the initial one unless set otherwise), so
   * a create writes nothing here.
   */
  private async pin(
    sql: SqlExecutor,
    ctx: RequestContext,
    ref: RecordRef,
    record: Record<string, unknown>,
  ): Promise<void> {
    const versions = await this.store.instanceVersions(sql, ref);
    for (const current of ctx.model.workflows.values()) {
      if (current.entity !== ref.entity || versions.has(current.workflow)) continue;
      await this.registerDefinition(sql, current);
      await this.store.saveInstance(sql, ref, current, currentState(current, record), true);
    }
  }

  /** Stores the definition version unless it is known stored: once committed, it is remembered. */
  private async registerDefinition(sql: SqlExecutor, def: WorkflowDef): Promise<void> {
    const key = `${def.workflow}@${def.version}`;
    if (this.storedDefinitions.has(key)) return;
    await this.store.registerDefinition(sql, def);
    sql.afterCommit(() => this.storedDefinitions.add(key));
  }

  /**
   * The entity's workflows at the version the record started with: the stored definition for
   * workflows it has entered, the current Model's for those it has not.
   */
  private async workflowsOf(
    sql: SqlExecutor,
    ctx: RequestContext,
    ref: RecordRef,
  ): Promise<{ workflows: WorkflowDef[] }> {
    const versions = await this.store.instanceVersions(sql, ref);
    const workflows: WorkflowDef[] = [];
    for (const current of ctx.model.workflows.values()) {
      if (current.entity !== ref.entity) continue;
      const started = versions.get(current.workflow);
      const pinned =
        started === undefined || started === current.version
          ? null
          : await this.store.definition(sql, current.workflow, started);
      workflows.push(pinned ?? current);
    }
    if (workflows.length === 0) throw new NotFoundError('workflow for', ref.entity);
    return { workflows };
  }

  private async verifySignature(
    ctx: RequestContext,
    actor: WorkflowActor,
    ref: RecordRef,
    action: string,
    body: ActionBody,
    client: SignatureClient,
  ): Promise<boolean> {
    if (!body.password) return false;
    const { workflows } = await this.workflowsOf(this.db.executor(), ctx, ref);
    const needed = workflows.some((w) => w.transitions.some((t) => t.action === action && t.signature));
    if (!needed) return false;
    if (!(await this.verifyPassword(ctx, actor.userId, body.password, client))) {
      throw new ForbiddenError('E-signature failed: the password does not match', { rule: 'signature' });
    }
    return true;
  }

  /** The live row, read in the caller's read scope when the context carries one: else 404. */
  private async readableRow(
    sql: SqlExecutor,
    ctx: RequestContext,
    entity: CompiledEntity,
    ref: RecordRef,
  ): Promise<DbRow> {
    const scope = ctx.access?.rowScope(entity.name, 'read');
    const condition = scope ? compileFilter(ctx.model, entity, scope, ctx.tenantId, sql.dialect) : null;
    const [row] = await new RowStore(ref.tenant).byIds(sql, entity, [ref.recordId], true, condition);
    if (!row) throw new NotFoundError(entity.name, ref.recordId);
    return row;
  }

  private apiNameOf(entity: CompiledEntity, field: string): string {
    const compiled = entity.fieldsByName.get(field);
    return compiled ? apiPropertyOf(compiled) : field;
  }

  /** API-shaped values → metadata names (relations by field name → id), for expressions and rules. */
  /**
   * The record as guards, approval conditions and computed updates read it: metadata names, and for
   * every relation an expression reads through (`lot.fai_status`), the related row (same tenant),
   * which still compares as its id.
   */
  private async expressionRecord(
    sql: SqlExecutor,
    ctx: RequestContext,
    entity: CompiledEntity,
    record: EntityRecord,
    workflows: readonly WorkflowDef[],
  ): Promise<Record<string, unknown>> {
    const values = this.toMetadata(entity, record);
    const store = new RowStore(ctx.tenantId);
    for (const name of relationsReadThrough(workflows)) {
      const field = entity.fieldsByName.get(name);
      const target = field?.relation ? ctx.model.entities.get(field.relation.target) : undefined;
      const id = values[name];
      if (!target || typeof id !== 'number') continue;
      const [row] = await store.byIds(sql, target, [id], true);
      if (row)
        values[name] = this.toMetadata(
          target,
          serializeRow(runtimeOf(ctx.model).entity(target.name), row, ctx.tenantId),
        );
    }
    return values;
  }

  private toMetadata(entity: CompiledEntity, record: EntityRecord): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const field of entity.fields) {
      const property = apiPropertyOf(field);
      if (property in record) values[field.name] = record[property];
    }
    return values;
  }

  private toApi(entity: CompiledEntity, values: Record<string, unknown>): EntityRecord {
    const record: EntityRecord = {};
    for (const [name, value] of Object.entries(values)) record[this.apiNameOf(entity, name)] = value;
    return record;
  }
}

/** Heads of the dot paths (`lot` of `lot.fai_status`) in the workflows' guards and conditions. */
function relationsReadThrough(workflows: readonly WorkflowDef[]): Set<string> {
  const heads = new Set<string>();
  for (const workflow of workflows)
    for (const transition of workflow.transitions) {
      const sets = Object.values(transition.set ?? {}).filter(
        (value): value is string => typeof value === 'string' && value.startsWith('='),
      );
      const sources = [transition.guard, transition.approval?.when, ...sets.map((value) => value.slice(1))];
      for (const source of sources) {
        if (!source) continue;
        for (const node of identifierNodes(parseExpression(source)))
          if (node.path.length > 1) heads.add(node.path[0]!);
      }
    }
  return heads;
}

/**
 * The action of `<entity>:<action>` whose grant governs the caller's field rules and row scope when
 * firing `action`: that of the transition's permission; a permission of another domain
 * (`quality:approve`), or an action no workflow declares (refused once the row is read), leaves the
 * record's read rules.
 */
function firingGrant(workflows: readonly WorkflowDef[], entity: string, action: string): string {
  for (const workflow of workflows) {
    const transition = workflow.transitions.find((t) => t.action === action);
    if (!transition) continue;
    const permission = permissionOf(workflow, transition);
    return permission.startsWith(`${entity}:`) ? permission.slice(entity.length + 1) : 'read';
  }
  return 'read';
}

/**
 * The context for reading the row an action fires on: the rows of `entity` the caller may touch with
 * `grant` narrowed to those it may also read, so the one read checks both scopes. Without the
 * caller's rules (the engine's own work) it is the context itself.
 */
function readableIn(ctx: RequestContext, entity: string, grant: string): RequestContext {
  const access = ctx.access;
  if (!access || grant === 'read') return ctx;
  const narrowed: WriteAccess = {
    rowScope(name, action) {
      const scope = access.rowScope(name, action);
      if (name !== entity || action !== grant) return scope;
      const read = access.rowScope(entity, 'read');
      if (!read) return scope;
      return scope ? { kind: 'and', conditions: [read, scope] } : read;
    },
    referenceScope: (name) => access.referenceScope(name),
    checkFields: (name, action, body) => access.checkFields(name, action, body),
  };
  return { ...ctx, access: narrowed };
}
