/**
 * Alert rules kept as data (`alert_rule` records), on the real server over HTTP: the business
 * analyst defines them, an inspector writes the NCRs they watch, and the check runs as the
 * scheduler's tick would queue it (the runner is driven by the test: AUTOMATION_RUNNER=off,
 * `queueEvaluations` and `round()`), with a second runner racing for the same tick. A raised alert
 * notifies the rule's recipients and is escalated when nobody acknowledges it; a later check that
 * finds the condition false resolves it; `groupBy` keeps one alert per value, `groupFilter` limits
 * the groups. MariaDB and SQLite.
 */
import { RuleRunner } from '../../../platform/src/rules/rule-runner';
import { PASSWORD, startMesServer, type MesServer } from '../scenario/mes-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each(TEST_DIALECTS)('alert rules (%s)', (dialect) => {
  let mes: MesServer;
  let analyst: string;
  /** Ticks a minute apart, so every rule with the default interval (60 s) is due at each. */
  let tick = Math.floor(Date.now() / 60_000) * 60_000;

  const runner = () => mes.server.automation.runner;
  const asAnalyst = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    mes.server.app.inject({ method, url, payload, headers: { authorization: `Bearer ${analyst}` } });
  /** One scheduler tick, queued by two runners at once: the tenant's check is queued and run once. */
  const check = async () => {
    const occurrence = new Date((tick += 60_000)).toISOString();
    const other = new RuleRunner(runner().deps);
    await Promise.all([runner().queueEvaluations(occurrence), other.queueEvaluations(occurrence)]);
    await Promise.all([runner().round(), other.round()]);
    const runs = await mes.query<{ status: string; result: string }>(
      "SELECT status, result FROM auto_job WHERE rule = 'evaluate:alert_rule' AND trigger_event = ?",
      [`schedule:${occurrence}`],
    );
    expect(runs.map((run) => run.status)).toEqual(['DONE']);
    return (JSON.parse(runs[0]!.result) as { checked: Record<string, unknown>[] }).checked;
  };
  const alertsOf = async (ruleId: unknown) => {
    const response = await asAnalyst('GET', `/api/alert-events?filter[ruleId]=${String(ruleId)}`);
    expect(response.statusCode).toBe(200);
    return response.json().data.items as Record<string, unknown>[];
  };
  const ncr = (severity: string, affectedQuantity: number) =>
    mes.create('inspector', '/api/ncrs', {
      title: `Alert rule NCR ${severity}`,
      source: 'IPQC',
      severity,
      category: 'PROCESS',
      description: 'Raised to feed alert rules',
      affectedQuantity,
    });
  const rule = (code: string, fields: Record<string, unknown>) =>
    asAnalyst('POST', '/api/alert-rules', {
      ruleCode: code,
      ruleName: `Rule ${code}`,
      ruleType: 'QUALITY',
      severity: 'CRITICAL',
      dataSource: 'ncr',
      metric: 'count',
      operator: 'GT',
      threshold: '1',
      windowMinutes: 60,
      ...fields,
    });

  beforeAll(async () => {
    mes = await startMesServer(dialect, 'alert_rules', { AUTOMATION_RUNNER: 'off' });
    const login = await mes.server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'analyst', password: PASSWORD },
    });
    analyst = (login.json().data as { accessToken: string }).accessToken;
  }, 180_000);

  afterAll(async () => {
    await mes?.stop();
  });

  it('refuses a rule the evaluator could not run with a 422 naming the field', async () => {
    const unknownEntity = await rule('BAD_SOURCE', { dataSource: 'no_such_entity' });
    expect(unknownEntity.statusCode).toBe(422);
    expect(unknownEntity.json().errors).toEqual([
      expect.objectContaining({ field: 'dataSource', message: "Unknown entity 'no_such_entity'" }),
    ]);
    const textField = await rule('BAD_METRIC', { metric: 'avg(title)', threshold: 'many' });
    expect(textField.statusCode).toBe(422);
    expect(textField.json().errors.map((error: { field: string }) => error.field)).toEqual([
      'metric',
      'threshold',
    ]);
    // Operators the evaluator does not have are not in the entity's enum.
    const operator = await rule('BAD_OPERATOR', { operator: 'LIKE' });
    expect(operator.statusCode).toBe(422);
    expect(operator.json().errors[0]).toEqual(expect.objectContaining({ field: 'operator', rule: 'enum' }));
    const filter = await rule('BAD_FILTER', { conditionFilter: "colour == 'red'" });
    expect(filter.statusCode).toBe(422);
    expect(filter.json().errors[0].field).toBe('conditionFilter');
  });

  it('refuses filter values the list would refuse, naming the field, the value and the rule', async () => {
    const refused = async (code: string, fields: Record<string, unknown>) => {
      const response = await rule(code, fields);
      expect(response.statusCode).toBe(422);
      return (response.json().errors as { field: string; message: string }[]).map((e) => [
        e.field,
        e.message,
      ]);
    };
    expect(await refused('BAD_ENUM', { conditionFilter: "status == 'RUNNING'" })).toEqual([
      [
        'conditionFilter',
        `Alert rule 'BAD_ENUM': conditionFilter 'status == 'RUNNING'': value "RUNNING" is refused: ` +
          'status must be one of OPEN, IN_PROGRESS, RESOLVED, CLOSED',
      ],
    ]);
    expect(await refused('BAD_TYPE', { conditionFilter: "affected_quantity == 'abc'" })).toEqual([
      [
        'conditionFilter',
        `Alert rule 'BAD_TYPE': conditionFilter 'affected_quantity == 'abc'': value "abc" is refused: ` +
          'affectedQuantity must be a number',
      ],
    ]);
    expect(
      await refused('BAD_GROUP_ENUM', { groupBy: 'supplier', groupFilter: "status == 'BLOCKED'" }),
    ).toEqual([['groupFilter', expect.stringContaining(`'BAD_GROUP_ENUM'`)]]);
    // A valid rule saves (disabled: the other checks here do not run it); an update is checked too.
    const valid = await rule('VALID_FILTERS', {
      enabled: false,
      conditionFilter: "status == 'OPEN' and affected_quantity > 2",
      groupBy: 'supplier',
      groupFilter: "status == 'ACTIVE'",
    });
    expect(valid.statusCode).toBe(201);
    const id = String(valid.json().data.id);
    const patched = await asAnalyst('PATCH', `/api/alert-rules/${id}`, {
      groupFilter: 'status == 12',
      version: valid.json().data.version,
    });
    expect(patched.statusCode).toBe(422);
    expect(patched.json().errors).toEqual([
      expect.objectContaining({
        field: 'groupFilter',
        message: expect.stringMatching(
          /^Alert rule 'VALID_FILTERS': groupFilter 'status == 12': value 12 is refused/,
        ),
      }),
    ]);
  });

  it('raises one alert while the condition holds, counting occurrences, and nothing when it does not', async () => {
    const critical = await rule('NCR_CRITICAL_BURST', { conditionFilter: "severity == 'CRITICAL'" });
    expect(critical.statusCode).toBe(201);
    const criticalId = critical.json().data.id;
    const quantity = await rule('NCR_QUANTITY', {
      metric: 'avg(affected_quantity)',
      operator: 'GTE',
      threshold: '50',
      severity: 'WARNING',
    });
    expect(quantity.statusCode).toBe(201);
    const quantityId = quantity.json().data.id;
    const quiet = await rule('NCR_FLOOD', { threshold: '100' });
    expect(quiet.statusCode).toBe(201);

    await ncr('CRITICAL', 10);
    await ncr('LOW', 20);
    // One critical NCR is not more than one; the average quantity is 15.
    expect(await check()).toEqual([
      { rule: 'NCR_CRITICAL_BURST', value: 1, holds: false },
      { rule: 'NCR_FLOOD', value: 2, holds: false },
      { rule: 'NCR_QUANTITY', value: 15, holds: false },
    ]);
    expect(await alertsOf(criticalId)).toEqual([]);

    await ncr('CRITICAL', 200);
    const first = await check();
    expect(first).toEqual([
      expect.objectContaining({ rule: 'NCR_CRITICAL_BURST', value: 2, holds: true, deduplicated: false }),
      { rule: 'NCR_FLOOD', value: 3, holds: false },
      expect.objectContaining({
        rule: 'NCR_QUANTITY',
        value: expect.closeTo(230 / 3, 6),
        holds: true,
        deduplicated: false,
      }),
    ]);
    const [raised] = await alertsOf(criticalId);
    expect(raised).toEqual(
      expect.objectContaining({
        ruleId: criticalId,
        alertType: 'QUALITY',
        severity: 'CRITICAL',
        status: 'ACTIVE',
        title: 'Rule NCR_CRITICAL_BURST',
        currentValue: '2',
        threshold: 'GT 1',
        occurrenceCount: 1,
      }),
    );
    expect(await alertsOf(quantityId)).toEqual([
      expect.objectContaining({ severity: 'WARNING', currentValue: '76.6667', threshold: 'GTE 50' }),
    ]);

    // Still holding at the next check: the open alert counts another occurrence, no second alert.
    await ncr('CRITICAL', 5);
    const second = await check();
    expect(second[0]).toEqual(expect.objectContaining({ value: 3, holds: true, deduplicated: true }));
    const again = await alertsOf(criticalId);
    expect(again).toHaveLength(1);
    expect(again[0]).toEqual(
      expect.objectContaining({ id: raised!.id, occurrenceCount: 2, currentValue: '3' }),
    );
  });

  it('skips disabled rules and logs a rule that fails instead of failing the check', async () => {
    const list = await asAnalyst('GET', '/api/alert-rules?filter[ruleCode]=NCR_QUANTITY');
    const quantity = list.json().data.items[0] as { id: number; version: number };
    const disabled = await asAnalyst('PATCH', `/api/alert-rules/${quantity.id}`, {
      enabled: false,
      version: quantity.version,
    });
    expect(disabled.statusCode).toBe(200);
    // A rule the write check would refuse, stored below the API: its failure is the run's result.
    await mes.query(
      `UPDATE ${mes.table('alert_rule')} SET metric = 'avg(gone)' WHERE rule_code = 'NCR_FLOOD'`,
    );
    const checked = await check();
    expect(checked.map((result) => result.rule)).toEqual(['NCR_CRITICAL_BURST', 'NCR_FLOOD']);
    expect(checked[1]).toEqual({ rule: 'NCR_FLOOD', error: "Entity 'ncr' has no field 'gone'" });

    // Half a minute later no rule's interval elapses: nothing is queued.
    const between = new Date(tick + 30_000).toISOString();
    await runner().queueEvaluations(between);
    expect(
      await mes.query('SELECT id FROM auto_job WHERE trigger_event = ?', [`schedule:${between}`]),
    ).toEqual([]);
  });

  const resultOf = (results: Record<string, unknown>[], code: string) =>
    results.find((result) => result.rule === code)!;
  const patchRule = async (id: unknown, fields: Record<string, unknown>) => {
    const current = (await asAnalyst('GET', `/api/alert-rules/${String(id)}`)).json().data;
    const response = await asAnalyst('PATCH', `/api/alert-rules/${String(id)}`, {
      ...fields,
      version: current.version,
    });
    expect(response.statusCode).toBe(200);
  };
  const notificationsOf = async (who: 'planner' | 'qmanager' | 'leader', prefix: string) =>
    ((await mes.call(who, 'GET', '/api/me/notifications')).json().data as Record<string, unknown>[]).filter(
      (n) => String(n.title).startsWith(prefix),
    );
  const escalations = () =>
    mes.query<{ status: string; record_id: number }>(
      "SELECT status, record_id FROM auto_job WHERE rule = 'escalate:alert_rule' ORDER BY id",
    );

  it('refuses channels, recipients, escalation and group-by it could not act on, naming the field', async () => {
    const bad = async (fields: Record<string, unknown>) => {
      const response = await rule('BAD_NOTIFY', fields);
      expect(response.statusCode).toBe(422);
      return (response.json().errors as { field: string; message: string }[]).map((e) => [
        e.field,
        e.message,
      ]);
    };
    expect(await bad({ channels: ['sms'] })).toEqual([
      ['channels', 'Channels must be a list of in_app, email'],
    ]);
    expect(await bad({ recipients: { roles: ['no_such_role'] } })).toEqual([
      ['recipients', 'recipients.roles: unknown role no_such_role'],
    ]);
    expect(await bad({ recipients: { users: ['nobody_here'] } })).toEqual([
      ['recipients', 'recipients.users: no user nobody_here'],
    ]);
    expect(await bad({ escalation: { after: { minutes: 0 }, roles: ['quality_manager'] } })).toEqual([
      ['escalation', expect.stringContaining('escalation.after must be a positive time')],
    ]);
    expect(await bad({ escalation: { after: { hours: 2 } } })).toEqual([
      ['escalation', 'escalation names no users or roles to notify'],
    ]);
    expect(await bad({ groupBy: 'category.code' })).toEqual([
      ['groupBy', "'category.code' is not a field or a path through relations of 'ncr'"],
    ]);
  });

  it('notifies the recipients once when an alert is raised, escalates it unacknowledged and resolves it when the condition stops', async () => {
    const created = await rule('NCR_NOTIFY', {
      conditionFilter: "severity == 'CRITICAL'",
      recipients: { users: ['planner'], roles: ['quality_manager'] },
      channels: ['in_app'],
      escalation: { after: { minutes: 30 }, users: [mes.userIds.leader] },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;

    const first = resultOf(await check(), 'NCR_NOTIFY');
    expect(first).toEqual(
      expect.objectContaining({ holds: true, deduplicated: false, notified: { inApp: 2, email: 0 } }),
    );
    const [alert] = await alertsOf(id);
    expect(alert).toEqual(expect.objectContaining({ status: 'ACTIVE', title: 'Rule NCR_NOTIFY' }));
    for (const who of ['planner', 'qmanager'] as const)
      expect(await notificationsOf(who, 'Rule NCR_NOTIFY')).toEqual([
        expect.objectContaining({ entity: 'alert_event', recordId: Number(alert!.id), severity: 'CRITICAL' }),
      ]);
    expect(await escalations()).toEqual([{ status: 'PENDING', record_id: Number(alert!.id) }]);
    // The inbox's SLA countdown of the alert includes the rule's escalation.
    const tasks = (await mes.call('qmanager', 'GET', '/api/me/tasks')).json().data;
    expect(JSON.stringify(tasks)).not.toContain('"rule":"escalate:alert_rule","dueAt":null');

    // Counted again, not raised again: nobody is notified a second time.
    expect(resultOf(await check(), 'NCR_NOTIFY')).toEqual(expect.objectContaining({ deduplicated: true }));
    expect(await notificationsOf('planner', 'Rule NCR_NOTIFY')).toHaveLength(1);

    // Half an hour later nobody acknowledged it: the leader is told, once, however many runners race.
    await mes.query(
      "UPDATE auto_job SET due_ms = 0 WHERE rule = 'escalate:alert_rule' AND status = 'PENDING'",
    );
    const other = new RuleRunner(runner().deps);
    await Promise.all([runner().round(), other.round()]);
    expect((await escalations()).map((job) => job.status)).toEqual(['DONE']);
    expect(await notificationsOf('leader', 'Escalated: Rule NCR_NOTIFY')).toEqual([
      expect.objectContaining({ body: 'Not acknowledged within 30 minutes.', recordId: Number(alert!.id) }),
    ]);

    // The threshold moves above the value: the next check resolves the alert through its workflow.
    await patchRule(id, { threshold: '100' });
    expect(resultOf(await check(), 'NCR_NOTIFY')).toEqual(
      expect.objectContaining({ holds: false, resolved: [Number(alert!.id)] }),
    );
    const [resolved] = await alertsOf(id);
    expect(resolved).toEqual(
      expect.objectContaining({
        status: 'RESOLVED',
        resolution: 'Resolved automatically: count is 3, no longer GT 100.',
        resolvedAt: expect.any(String),
        // The engine is not a user.
        resolvedById: null,
      }),
    );
    const history = await mes.call('qmanager', 'GET', `/api/alert-events/${String(alert!.id)}/history`);
    expect(JSON.stringify(history.json().data)).toContain('"resolve"');
    const audit = await mes.query<{ transition: string | null }>(
      `SELECT transition FROM ${mes.table('audit_log')} WHERE entity_name = 'alert_event' AND record_id = ?`,
      [String(alert!.id)],
    );
    expect(audit.map((row) => row.transition)).toContain('resolve');
    // Once resolved it is not resolved again, and a later breach raises a new alert.
    expect(resultOf(await check(), 'NCR_NOTIFY')).not.toHaveProperty('resolved');
  });

  it('never escalates an alert acknowledged in time, and leaves it open when the rule opts out of resolving', async () => {
    const created = await rule('NCR_LOW_KEPT', {
      conditionFilter: "severity == 'LOW'",
      operator: 'GTE',
      autoResolve: false,
      escalation: { after: { hours: 1 }, roles: ['quality_manager'], channels: ['in_app'] },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    expect(resultOf(await check(), 'NCR_LOW_KEPT')).toEqual(
      expect.objectContaining({ holds: true, deduplicated: false, notified: { inApp: 0, email: 0 } }),
    );
    const [alert] = await alertsOf(id);
    const acknowledged = await mes.call(
      'qmanager',
      'POST',
      `/api/alert-events/${String(alert!.id)}/actions/acknowledge`,
      {},
    );
    expect(acknowledged.statusCode).toBe(201);
    const timers = (await escalations()).filter((job) => job.record_id === Number(alert!.id));
    expect(timers).toEqual([{ status: 'CANCELLED', record_id: Number(alert!.id) }]);

    await patchRule(id, { threshold: '100' });
    expect(resultOf(await check(), 'NCR_LOW_KEPT')).toEqual(expect.objectContaining({ holds: false }));
    expect(resultOf(await check(), 'NCR_LOW_KEPT')).not.toHaveProperty('resolved');
    expect((await alertsOf(id)).map((a) => a.status)).toEqual(['ACKNOWLEDGED']);
  });

  it('keeps one alert per value of the group-by field, raised, counted and resolved on its own', async () => {
    const categorised = (category: string) =>
      mes.create('inspector', '/api/ncrs', {
        title: `Grouped NCR ${category}`,
        source: 'IQC',
        severity: 'MEDIUM',
        category,
        description: 'Raised to feed a grouped alert rule',
        affectedQuantity: 1,
      });
    await categorised('MATERIAL');
    await categorised('MATERIAL');
    await categorised('EQUIPMENT');
    const created = await rule('NCR_PER_CATEGORY', {
      conditionFilter: "source == 'IQC'",
      groupBy: 'category',
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    // The groups are the enum's values: the categories without IQC NCRs in the window count 0.
    const byGroup = (result: Record<string, unknown>) => {
      const groups = result.groups as { group: string; value: number }[];
      expect(groups.map((g) => g.group).sort()).toEqual([
        'DESIGN',
        'ENVIRONMENT',
        'EQUIPMENT',
        'MATERIAL',
        'OPERATOR',
        'OTHER',
        'PROCESS',
      ]);
      return groups.filter((g) => g.value !== 0).sort((a, b) => a.group.localeCompare(b.group));
    };

    expect(byGroup(resultOf(await check(), 'NCR_PER_CATEGORY'))).toEqual([
      { group: 'EQUIPMENT', value: 1, holds: false },
      expect.objectContaining({ group: 'MATERIAL', value: 2, holds: true, deduplicated: false }),
    ]);
    const [material] = await alertsOf(id);
    expect(material).toEqual(
      expect.objectContaining({
        title: 'Rule NCR_PER_CATEGORY: MATERIAL',
        dedupKey: `alert_rule:${String(id)}.category:MATERIAL`,
        currentValue: '2',
      }),
    );

    await categorised('EQUIPMENT');
    await categorised('MATERIAL');
    expect(byGroup(resultOf(await check(), 'NCR_PER_CATEGORY'))).toEqual([
      expect.objectContaining({ group: 'EQUIPMENT', value: 2, holds: true, deduplicated: false }),
      expect.objectContaining({ group: 'MATERIAL', value: 3, holds: true, deduplicated: true }),
    ]);
    const open = await alertsOf(id);
    expect(open.map((a) => [a.title, a.occurrenceCount, a.status]).sort()).toEqual([
      ['Rule NCR_PER_CATEGORY: EQUIPMENT', 1, 'ACTIVE'],
      ['Rule NCR_PER_CATEGORY: MATERIAL', 2, 'ACTIVE'],
    ]);

    // Only equipment NCRs count now: the material group is gone from the rows and its alert resolves.
    await patchRule(id, { conditionFilter: "source == 'IQC' and category == 'EQUIPMENT'" });
    const narrowed = resultOf(await check(), 'NCR_PER_CATEGORY');
    expect(narrowed.resolved).toEqual([Number(material!.id)]);
    expect((await alertsOf(id)).map((a) => [a.title, a.status]).sort()).toEqual([
      ['Rule NCR_PER_CATEGORY: EQUIPMENT', 'ACTIVE'],
      ['Rule NCR_PER_CATEGORY: MATERIAL', 'RESOLVED'],
    ]);
  });

  it('evaluates the groups of the domain: a related record or enum value with no rows in the window counts 0 and raises a less-than alert', async () => {
    const supplier = async (name: string) =>
      Number((await mes.create('admin', '/api/suppliers', { supplierName: name })).id);
    const busy = await supplier('Alert rule busy supplier');
    const idle = await supplier('Alert rule idle supplier');
    await mes.create('inspector', '/api/ncrs', {
      title: 'NCR against the busy supplier',
      source: 'IQC',
      severity: 'LOW',
      category: 'MATERIAL',
      description: 'Raised to feed a grouped less-than rule',
      supplierId: busy,
      affectedQuantity: 1,
    });
    const created = await rule('NCR_QUIET_SUPPLIER', {
      severity: 'INFO',
      operator: 'LT',
      threshold: '1',
      groupBy: 'supplier',
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    const groups = resultOf(await check(), 'NCR_QUIET_SUPPLIER').groups as Record<string, unknown>[];
    expect(groups.find((g) => g.group === String(busy))).toEqual({
      group: String(busy),
      value: 1,
      holds: false,
    });
    expect(groups.find((g) => g.group === String(idle))).toEqual(
      expect.objectContaining({ group: String(idle), value: 0, holds: true, deduplicated: false }),
    );
    const raised = (await alertsOf(id)).filter((a) => a.sourceId === String(idle));
    expect(raised).toEqual([
      expect.objectContaining({
        title: 'Rule NCR_QUIET_SUPPLIER: Alert rule idle supplier',
        sourceType: 'supplier_master',
        currentValue: '0',
        threshold: 'LT 1',
        status: 'ACTIVE',
      }),
    ]);
    expect((await alertsOf(id)).filter((a) => a.sourceId === String(busy))).toEqual([]);

    // An average over no rows has no value: the empty groups raise nothing.
    await patchRule(id, { metric: 'avg(affected_quantity)', threshold: '5' });
    const averaged = resultOf(await check(), 'NCR_QUIET_SUPPLIER').groups as Record<string, unknown>[];
    expect(averaged.find((g) => g.group === String(idle))).toEqual({
      group: String(idle),
      value: null,
      holds: false,
    });
    expect(averaged.find((g) => g.group === String(busy))).toEqual(
      expect.objectContaining({ group: String(busy), value: 1, holds: true }),
    );
  });

  it('checks only the groups the group filter selects: an inactive related record raises nothing, an active empty one raises', async () => {
    const supplier = async (name: string, status: string) =>
      Number((await mes.create('admin', '/api/suppliers', { supplierName: name, status })).id);
    const active = await supplier('Alert rule active quiet supplier', 'ACTIVE');
    const inactive = await supplier('Alert rule inactive supplier', 'INACTIVE');
    // A row of the inactive supplier in the window: its group is still left out.
    await mes.create('inspector', '/api/ncrs', {
      title: 'NCR against the inactive supplier',
      source: 'IQC',
      severity: 'LOW',
      category: 'MATERIAL',
      description: 'Raised to feed a filtered grouped rule',
      supplierId: inactive,
      affectedQuantity: 1,
    });
    const created = await rule('NCR_QUIET_ACTIVE_SUPPLIER', {
      severity: 'INFO',
      operator: 'LT',
      threshold: '1',
      groupBy: 'supplier',
      groupFilter: "status == 'ACTIVE'",
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    const groups = resultOf(await check(), 'NCR_QUIET_ACTIVE_SUPPLIER').groups as Record<string, unknown>[];
    expect(groups.find((g) => g.group === String(active))).toEqual(
      expect.objectContaining({ group: String(active), value: 0, holds: true, deduplicated: false }),
    );
    expect(groups.find((g) => g.group === String(inactive))).toBeUndefined();
    expect(groups.find((g) => g.group === null)).toBeUndefined();
    const alerts = await alertsOf(id);
    expect(alerts.filter((a) => a.sourceId === String(active))).toEqual([
      expect.objectContaining({ title: 'Rule NCR_QUIET_ACTIVE_SUPPLIER: Alert rule active quiet supplier' }),
    ]);
    expect(alerts.filter((a) => a.sourceId === String(inactive))).toEqual([]);

    // A supplier the filter stops selecting is no group any more: its open alert is resolved.
    const current = (await mes.call('admin', 'GET', `/api/suppliers/${active}`)).json().data;
    const deactivated = await mes.call('admin', 'PATCH', `/api/suppliers/${active}`, {
      status: 'INACTIVE',
      version: current.version,
    });
    expect(deactivated.statusCode).toBe(200);
    const afterDeactivation = resultOf(await check(), 'NCR_QUIET_ACTIVE_SUPPLIER');
    expect((afterDeactivation.groups as Record<string, unknown>[]).map((g) => g.group)).not.toContain(
      String(active),
    );
    expect((await alertsOf(id)).filter((a) => a.sourceId === String(active))).toEqual([
      expect.objectContaining({ status: 'RESOLVED' }),
    ]);

    // Without the filter the inactive supplier is a group again (its one NCR, not less than 1).
    await patchRule(id, { groupFilter: null, threshold: '2' });
    const unfiltered = resultOf(await check(), 'NCR_QUIET_ACTIVE_SUPPLIER').groups as Record<
      string,
      unknown
    >[];
    expect(unfiltered.find((g) => g.group === String(inactive))).toEqual(
      expect.objectContaining({ group: String(inactive), value: 1, holds: true }),
    );

    const bad = async (fields: Record<string, unknown>) => {
      const response = await rule('BAD_GROUP_FILTER', { operator: 'LT', threshold: '1', ...fields });
      expect(response.statusCode).toBe(422);
      return (response.json().errors as { field: string; message: string }[]).map((e) => [
        e.field,
        e.message,
      ]);
    };
    expect(await bad({ groupBy: 'supplier', groupFilter: "colour == 'red'" })).toEqual([
      ['groupFilter', "Metadata condition 'colour == 'red'' is not supported: unknown field 'colour'"],
    ]);
    expect(await bad({ groupBy: 'supplier', groupFilter: 'status == ' })).toEqual([
      ['groupFilter', expect.any(String)],
    ]);
    expect(await bad({ groupFilter: "status == 'ACTIVE'" })).toEqual([
      ['groupFilter', 'A group filter needs a group-by path through a relation'],
    ]);
    expect(await bad({ groupBy: 'category', groupFilter: "status == 'ACTIVE'" })).toEqual([
      ['groupFilter', "A group filter needs a group-by path through a relation; 'category' is not one"],
    ]);
  });

  it('restarts the escalation of an alert that becomes active again, and gives a new breach after a resolve its own', async () => {
    const created = await rule('NCR_REACTIVATED', {
      conditionFilter: "severity == 'HIGH'",
      operator: 'GTE',
      threshold: '1',
      escalation: { after: { minutes: 45 }, users: ['leader'], channels: ['in_app'] },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().data.id;
    await ncr('HIGH', 3);
    expect(resultOf(await check(), 'NCR_REACTIVATED')).toEqual(
      expect.objectContaining({ holds: true, deduplicated: false }),
    );
    const [alert] = await alertsOf(id);
    const alertId = Number(alert!.id);
    const timersOf = async (alertId: number) =>
      (await escalations()).filter((job) => job.record_id === alertId).map((job) => job.status);
    expect(await timersOf(alertId)).toEqual(['PENDING']);

    const act = (action: string, body: object = {}) =>
      mes.call('admin', 'POST', `/api/alert-events/${String(alertId)}/actions/${action}`, body);
    expect((await act('suppress', { reason: 'Maintenance window' })).statusCode).toBe(201);
    expect(await timersOf(alertId)).toEqual(['CANCELLED']);
    const before = Date.now();
    expect((await act('reactivate')).statusCode).toBe(201);
    expect(await timersOf(alertId)).toEqual(['CANCELLED', 'PENDING']);
    const [restarted] = await mes.query<{ due_ms: number | string }>(
      "SELECT due_ms FROM auto_job WHERE rule = 'escalate:alert_rule' AND record_id = ? AND status = 'PENDING'",
      [alertId],
    );
    // Counted from the reactivation, for the rule's 45 minutes.
    expect(Number(restarted!.due_ms)).toBeGreaterThanOrEqual(before + 45 * 60_000);

    // The restarted timer escalates the reactivated alert when it falls due.
    await mes.query(
      "UPDATE auto_job SET due_ms = 0 WHERE rule = 'escalate:alert_rule' AND record_id = ? AND status = 'PENDING'",
      [alertId],
    );
    await runner().round();
    expect(await timersOf(alertId)).toEqual(['CANCELLED', 'DONE']);
    expect(await notificationsOf('leader', 'Escalated: Rule NCR_REACTIVATED')).toEqual([
      expect.objectContaining({ recordId: alertId, body: 'Not acknowledged within 45 minutes.' }),
    ]);

    // Resolved when the condition stops; the next breach is a new alert with a timer of its own.
    await patchRule(id, { threshold: '100' });
    expect(resultOf(await check(), 'NCR_REACTIVATED')).toEqual(
      expect.objectContaining({ resolved: [alertId] }),
    );
    await patchRule(id, { threshold: '1' });
    expect(resultOf(await check(), 'NCR_REACTIVATED')).toEqual(
      expect.objectContaining({ holds: true, deduplicated: false }),
    );
    const again = (await alertsOf(id)).find((a) => a.status === 'ACTIVE')!;
    expect(Number(again.id)).not.toBe(alertId);
    expect(await timersOf(Number(again.id))).toEqual(['PENDING']);
  });
});
