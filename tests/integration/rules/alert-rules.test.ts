/**
 * Alert rules kept as data (`alert_rule` records), on the real server over HTTP: the business
 * analyst defines them, an inspector writes the NCRs they watch, and the check runs as the
 * scheduler's tick would queue it (the runner is driven by the test: AUTOMATION_RUNNER=off,
 * `queueAlertRules` and `round()`), with a second runner racing for the same tick. MariaDB and SQLite.
 */
import { RuleRunner } from '../../../platform/src/rules/rule-runner';
import { PASSWORD, startMesServer, type MesServer } from '../scenario/mes-server';

describe.each(['mysql', 'sqlite'] as const)('alert rules (%s)', (dialect) => {
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
    await Promise.all([runner().queueAlertRules(occurrence), other.queueAlertRules(occurrence)]);
    await Promise.all([runner().round(), other.round()]);
    const runs = await mes.query<{ status: string; result: string }>(
      "SELECT status, result FROM auto_job WHERE rule = 'alert_rules' AND trigger_event = ?",
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
    await runner().queueAlertRules(between);
    expect(
      await mes.query('SELECT id FROM auto_job WHERE trigger_event = ?', [`schedule:${between}`]),
    ).toEqual([]);
  });
});
