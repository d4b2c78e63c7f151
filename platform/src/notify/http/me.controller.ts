/**
 * The signed-in user's own automation: notifications (list, unread count, mark read), channel
 * preferences, and the task inbox — approvals they may vote on, open records assigned to them
 * (alerts, NCRs, any entity with an `assignee` and a workflow) with the SLA timers running on them.
 */
import { Body, Controller, Get, Inject, Post, Put, Query, Req, UseInterceptors } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { hasPermission } from '../../../../metadata/src/model/permissions';
import type { AutomationRuntime } from '../../bootstrap/automation-runtime';
import { BadRequestError, ForbiddenError, NotFoundError } from '../../crud/errors';
import { EnvelopeInterceptor } from '../../crud/http/envelope.interceptor';
import { requestContext } from '../../crud/http/request-context';
import { MODEL_REGISTRY } from '../../crud/http/tokens';
import type { EntityRecord } from '../../crud/types';
import type { ModelRegistry } from '../../kernel/model-registry';
import { AUTOMATION } from '../../rules/http/automation.controller';
import { effectivePermissions, type SecureContext } from '../../security/principal';
import { SecureWorkflowOperations } from '../../security/secure-workflow';
import type { AssignedTask, MarkedRead, RoleTask, TaskInbox, UnreadCount } from '../../contracts/automation';
import type { WorkflowService } from '../../workflow/workflow.service';
import { WORKFLOW_SERVICE } from '../../workflow/http/workflow.controller';
import type { Channel, NotificationRow } from '../notification-store';

const CHANNELS: readonly Channel[] = ['in_app', 'email'];
const ASSIGNED_LIMIT = 100;

@Controller('api/me')
@UseInterceptors(EnvelopeInterceptor)
export class MeController {
  private readonly workflows: SecureWorkflowOperations;

  constructor(
    @Inject(AUTOMATION) private readonly automation: AutomationRuntime,
    @Inject(WORKFLOW_SERVICE) workflows: WorkflowService,
    @Inject(MODEL_REGISTRY) private readonly models: ModelRegistry,
  ) {
    this.workflows = new SecureWorkflowOperations(workflows);
  }

  @Get('notifications')
  notifications(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
  ): Promise<NotificationRow[]> {
    const ctx = this.context(request);
    const unread = query.unread === 'true' || query.unread === '1';
    return this.store().list(this.sql(), ctx.tenantId, ctx.principal.userId, unread, 100);
  }

  @Get('notifications/count')
  async count(@Req() request: FastifyRequest): Promise<UnreadCount> {
    const ctx = this.context(request);
    return { unread: await this.store().unread(this.sql(), ctx.tenantId, ctx.principal.userId) };
  }

  /** Marks the listed notifications read (`{ ids: [...] }`), or all of them (`{}`). */
  @Post('notifications/read')
  async read(@Body() body: unknown, @Req() request: FastifyRequest): Promise<MarkedRead> {
    const ctx = this.context(request);
    const ids = (body as { ids?: unknown } | null)?.ids;
    if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id > 0)))
      throw new BadRequestError('ids must be a list of notification ids', {
        errors: [{ field: 'ids', path: '/ids', rule: 'type', message: 'ids must be positive integers' }],
      });
    const marked = await this.store().markRead(
      this.sql(),
      ctx.tenantId,
      ctx.principal.userId,
      (ids as number[] | undefined) ?? null,
    );
    return { marked, unread: await this.store().unread(this.sql(), ctx.tenantId, ctx.principal.userId) };
  }

  @Get('notification-preferences')
  async preferences(@Req() request: FastifyRequest): Promise<Record<string, boolean>> {
    const ctx = this.context(request);
    const off = await this.store().disabledChannels(this.sql(), ctx.tenantId, ctx.principal.userId);
    return Object.fromEntries(CHANNELS.map((channel) => [channel, !off.includes(channel)]));
  }

  /** `{ in_app: true, email: false }`: switches channels on or off for the caller. */
  @Put('notification-preferences')
  async setPreferences(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<Record<string, boolean>> {
    const ctx = this.context(request);
    const entries = Object.entries((body ?? {}) as Record<string, unknown>);
    for (const [channel, enabled] of entries)
      if (!CHANNELS.includes(channel as Channel) || typeof enabled !== 'boolean')
        throw new BadRequestError(`'${channel}' must be one of ${CHANNELS.join(', ')} with true or false`, {
          errors: [
            {
              field: channel,
              path: `/${channel}`,
              rule: 'enum',
              limit: CHANNELS,
              message: 'unknown channel or value',
            },
          ],
        });
    for (const [channel, enabled] of entries)
      await this.store().setPreference(
        this.sql(),
        ctx.tenantId,
        ctx.principal.userId,
        channel as Channel,
        enabled as boolean,
      );
    return this.preferences(request);
  }

  @Get('tasks')
  async tasks(@Req() request: FastifyRequest): Promise<TaskInbox> {
    const ctx = this.context(request);
    const granted = effectivePermissions(ctx.principal, ctx.model);
    const approvals: TaskInbox['approvals'] = [];
    for (const approval of await this.workflows.votableApprovals(ctx)) {
      const record = await this.readable(approval.entity, approval.recordId, ctx);
      if (record) approvals.push({ ...approval, ...this.describe(approval.entity, record, ctx) });
    }
    const assigned = await this.assigned(ctx);
    const actions = await this.roleActions(ctx, (code) => hasPermission(granted, code));
    const unread = await this.store().unread(this.sql(), ctx.tenantId, ctx.principal.userId);
    return {
      counts: {
        approvals: approvals.length,
        assigned: assigned.length,
        actions: actions.length,
        unread,
        total: approvals.length + assigned.length + actions.length,
      },
      approvals,
      assigned,
      actions,
    };
  }

  /**
   * Records waiting for a workflow action assigned to one of the caller's roles (a transition whose
   * `roles` name it) that the caller holds the permission for, read with the caller's row scope.
   */
  private async roleActions(ctx: SecureContext, holds: (permission: string) => boolean): Promise<RoleTask[]> {
    const tasks: RoleTask[] = [];
    for (const entity of ctx.model.entities.values()) {
      const workflow = entity.workflow ? ctx.model.workflows.get(entity.workflow) : undefined;
      const stateField = workflow ? entity.fieldsByName.get(workflow.field ?? 'status') : undefined;
      if (!workflow || !stateField) continue;
      const byState = new Map<string, RoleTask['actions']>();
      for (const transition of workflow.transitions) {
        if (!transition.roles?.some((role) => ctx.principal.roles.includes(role))) continue;
        if (!holds(transition.permission ?? `${entity.name}:${transition.action}`)) continue;
        for (const state of transition.from)
          byState.set(state, [
            ...(byState.get(state) ?? []),
            {
              action: transition.action,
              label: transition.label ?? { en: transition.action, zh: transition.action },
            },
          ]);
      }
      if (byState.size === 0) continue;
      const query = this.automation.operations.parseListQuery(
        entity.name,
        {
          filter: { [stateField.apiName]: { in: [...byState.keys()] } },
          pageSize: ASSIGNED_LIMIT,
          sort: 'id',
          count: 'none',
        },
        ctx.model,
      );
      let items: EntityRecord[];
      try {
        items = (await this.automation.operations.list(entity.name, query, ctx)).items;
      } catch (error) {
        if (error instanceof ForbiddenError) continue;
        throw error;
      }
      for (const item of items) {
        const state = (item[stateField.apiName] as string | null) ?? null;
        tasks.push({
          ...this.describe(entity.name, item, ctx),
          entity: entity.name,
          recordId: Number(item.id),
          state,
          actions: byState.get(state ?? '') ?? [],
        });
      }
    }
    return tasks;
  }

  /** Open records of every entity with a workflow and an `assignee` user field, assigned to the caller. */
  private async assigned(ctx: SecureContext): Promise<AssignedTask[]> {
    const tasks: AssignedTask[] = [];
    for (const entity of ctx.model.entities.values()) {
      const assignee = entity.fieldsByName.get('assignee');
      const workflow = entity.workflow ? ctx.model.workflows.get(entity.workflow) : undefined;
      if (!workflow || assignee?.relation?.target !== 'user') continue;
      const stateField = entity.fieldsByName.get(workflow.field ?? 'status');
      const open = Object.entries(workflow.states)
        .filter(([, state]) => !state.final)
        .map(([name]) => name);
      if (!stateField) continue;
      const query = this.automation.operations.parseListQuery(
        entity.name,
        {
          filter: { assigneeId: { eq: ctx.principal.userId }, [stateField.apiName]: { in: open } },
          pageSize: ASSIGNED_LIMIT,
          count: 'none',
        },
        ctx.model,
      );
      let items: EntityRecord[];
      try {
        items = (await this.automation.operations.list(entity.name, query, ctx)).items;
      } catch (error) {
        // An entity the caller may not read holds no task of theirs.
        if (error instanceof ForbiddenError) continue;
        throw error;
      }
      const timers = await this.automation.runner.jobs.pendingTimers(
        this.sql(),
        ctx.tenantId,
        entity.name,
        items.map((item) => Number(item.id)),
      );
      for (const item of items)
        tasks.push({
          ...this.describe(entity.name, item, ctx),
          entity: entity.name,
          recordId: Number(item.id),
          state: (item[stateField.apiName] as string | null) ?? null,
          deadlines: timers
            .filter((timer) => timer.recordId === Number(item.id))
            .map((timer) => ({ rule: timer.rule, dueAt: new Date(timer.dueMs).toISOString() })),
        });
    }
    return tasks;
  }

  private async readable(entity: string, id: number, ctx: SecureContext): Promise<EntityRecord | null> {
    try {
      return await this.automation.operations.get(entity, id, ctx);
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof ForbiddenError) return null;
      throw error;
    }
  }

  private describe(
    entityName: string,
    record: EntityRecord,
    ctx: SecureContext,
  ): { path: string; title: string } {
    const entity = ctx.model.entities.get(entityName)!;
    const display = entity.display ? entity.fieldsByName.get(entity.display)?.apiName : undefined;
    const title =
      display && record[display] !== undefined ? String(record[display]) : `#${String(record.id)}`;
    return { path: entity.path, title };
  }

  private context(request: FastifyRequest): SecureContext {
    return requestContext(request, this.models);
  }

  private store() {
    return this.automation.notifier.store;
  }

  private sql() {
    return this.automation.runner.sql();
  }
}
