/**
 * The rule designer's test run over HTTP on MariaDB, as the analyst: a rule drafted in a change set
 * (not published) is evaluated against a chosen NCR with the draft's Model and lists what each action
 * would do; nothing is written. A condition that does not parse is refused with its element; the
 * record must be one the analyst can read; roles without metadata:edit are refused. Then the
 * analyst's "Engineering Problem" (scenario 14) is published and its workflow actions, assigned to
 * roles, wait in the task inbox of the users holding those roles.
 */
import { engineeringProblemContent } from '../../support/engineering-problem';
import { startSecurityServer, type SecurityServer } from '../security/security-server';
import { dataOf } from './studio-client';

const rule = (when: string) => ({
  rule: 'ncr_critical_containment',
  label: { en: 'Critical NCRs are contained', zh: '严重 NCR 须围堵' },
  module: 'quality',
  entity: 'ncr',
  trigger: { on: 'created' },
  when,
  actions: [
    { set: { containment_action: 'Quarantine every affected lot' } },
    {
      notify: {
        roles: ['quality_manager'],
        title: { en: 'Critical NCR {ncr_no}', zh: '严重 NCR {ncr_no}' },
      },
    },
  ],
});
const content = (when = "severity == 'CRITICAL' and containment_action == null") => ({
  documents: [rule(when)],
});

describe('the rule designer test run on MariaDB', () => {
  let mes: SecurityServer;
  const ncr = async (title: string, severity: string): Promise<{ id: number; ncrNo: string }> =>
    dataOf(
      await mes.call('inspector', 'POST', '/api/ncrs', {
        title,
        source: 'IPQC',
        severity,
        category: 'PROCESS',
        description: `${title} found on line 1`,
      }),
    );

  beforeAll(async () => {
    mes = await startSecurityServer('mysql', 'ruletest', { AUTOMATION_RUNNER: 'off' });
  }, 180_000);
  afterAll(async () => {
    await mes?.stop();
  });

  it('shows what a drafted rule would do to a chosen record, writing nothing', async () => {
    const critical = await ncr('Burr on the housing boss', 'CRITICAL');
    const low = await ncr('Scratch on the cover', 'LOW');
    const saved = dataOf<{ id: number }>(
      await mes.call('analyst', 'POST', '/api/studio/change-sets', {
        title: 'Containment',
        content: content(),
      }),
    );
    const model = dataOf<{ rules: { rule: string }[] }>(
      await mes.call('analyst', 'GET', '/api/studio/model'),
    );
    expect(model.rules.map((r) => r.rule)).toContain('ncr_assign_by_department');
    expect(model.rules.map((r) => r.rule)).not.toContain('ncr_critical_containment');

    const run = dataOf<{
      holds: boolean;
      synchronous: boolean;
      actions: { action: string; detail: Record<string, unknown> }[];
    }>(
      await mes.call('analyst', 'POST', '/api/studio/rule-test', {
        content: content(),
        rule: 'ncr_critical_containment',
        recordId: critical.id,
      }),
    );
    expect(run.holds).toBe(true);
    expect(run.synchronous).toBe(false);
    expect(run.actions.map((a) => a.action)).toEqual(['set', 'notify']);
    expect(run.actions[0].detail).toEqual({
      entity: 'ncr',
      id: critical.id,
      values: { containment_action: 'Quarantine every affected lot' },
    });
    expect(JSON.stringify(run.actions[1].detail)).toContain(`Critical NCR ${critical.ncrNo}`);

    const quiet = dataOf<{ holds: boolean; actions: unknown[] }>(
      await mes.call('analyst', 'POST', '/api/studio/rule-test', {
        content: content(),
        rule: 'ncr_critical_containment',
        recordId: low.id,
      }),
    );
    expect(quiet).toMatchObject({ holds: false, actions: [] });

    // Nothing was written: the NCR keeps its containment, nobody was notified, no run was queued.
    const after = dataOf<{ containmentAction: string | null }>(
      await mes.call('inspector', 'GET', `/api/ncrs/${critical.id}`),
    );
    expect(after.containmentAction ?? null).toBeNull();
    const [notes] = await mes.query<{ n: number }>('SELECT COUNT(*) AS n FROM auto_notification');
    expect(Number(notes.n)).toBe(0);
    const [runs] = await mes.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM auto_job WHERE rule = 'ncr_critical_containment'",
    );
    expect(Number(runs.n)).toBe(0);
    // A served rule is tested the same way, with the draft around it.
    const served = dataOf<{ holds: boolean; actions: { action: string }[] }>(
      await mes.call('analyst', 'POST', '/api/studio/rule-test', {
        content: content(),
        rule: 'ncr_assign_by_department',
        recordId: critical.id,
      }),
    );
    expect(served.actions.map((a) => a.action)).toEqual(['set']);
    expect(saved.id).toBeGreaterThan(0);
  });

  it('refuses a bad condition on its element, unknown rules and records, and other roles', async () => {
    const record = await ncr('Wrong torque on screw 3', 'HIGH');
    const bad = await mes.call('analyst', 'POST', '/api/studio/rule-test', {
      content: content("severity == 'CRITICAL' and"),
      rule: 'ncr_critical_containment',
      recordId: record.id,
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toContainEqual(
      expect.objectContaining({ field: 'studio/rule/ncr_critical_containment', path: '/when' }),
    );
    const unknownField = await mes.call('analyst', 'POST', '/api/studio/rule-test', {
      content: content("seververity == 'CRITICAL'"),
      rule: 'ncr_critical_containment',
      recordId: record.id,
    });
    expect(unknownField.statusCode).toBe(422);
    const missing = await mes.call('analyst', 'POST', '/api/studio/rule-test', {
      content: content(),
      rule: 'no_such_rule',
      recordId: record.id,
    });
    expect(missing.statusCode).toBe(404);
    const noRecord = await mes.call('analyst', 'POST', '/api/studio/rule-test', {
      content: content(),
      rule: 'ncr_critical_containment',
      recordId: 999_999,
    });
    expect(noRecord.statusCode).toBe(404);
    const noId = await mes.call('analyst', 'POST', '/api/studio/rule-test', {
      content: content(),
      rule: 'ncr_critical_containment',
    });
    expect(noId.statusCode).toBe(400);
    expect(noId.json().errors).toContainEqual(
      expect.objectContaining({ field: 'recordId', rule: 'required' }),
    );
    const operator = await mes.call('operator', 'POST', '/api/studio/rule-test', {
      content: content(),
      rule: 'ncr_critical_containment',
      recordId: record.id,
    });
    expect(operator.statusCode).toBe(403);
  });

  it("lists the workflow actions assigned to the caller's roles in the task inbox", async () => {
    type Inbox = {
      counts: { actions: number; total: number };
      actions: { entity: string; recordId: number; state: string; actions: { action: string }[] }[];
    };
    const created = dataOf<{ id: number; version: number }>(
      await mes.call('analyst', 'POST', '/api/studio/change-sets', {
        title: 'Engineering problems',
        content: engineeringProblemContent(),
      }),
    );
    const inReview = dataOf<{ record: { version: number } }>(
      await mes.call('analyst', 'POST', `/api/studio/change-sets/${created.id}/actions/submit`, {
        version: created.version,
      }),
    ).record;
    dataOf(
      await mes.call('reviewer', 'POST', `/api/studio/change-sets/${created.id}/publish`, {
        version: inReview.version,
      }),
    );
    const problem = dataOf<{ id: number }>(
      await mes.call('operator', 'POST', '/api/engineering-problems', {
        title: 'Housing cracks at the boss',
        severity: 'HIGH',
        dueDate: '2026-12-24',
      }),
    );
    const mine = (inbox: Inbox) => inbox.actions.filter((t) => t.entity === 'engineering_problem');

    // OPEN → analyse is assigned to inspectors and operators; resolve and close to inspectors only.
    const inspector = dataOf<Inbox>(await mes.call('inspector', 'GET', '/api/me/tasks'));
    expect(mine(inspector)).toEqual([
      expect.objectContaining({
        recordId: problem.id,
        state: 'OPEN',
        actions: [expect.objectContaining({ action: 'analyse' })],
      }),
    ]);
    expect(inspector.counts.actions).toBe(inspector.actions.length);
    expect(inspector.counts.total).toBeGreaterThanOrEqual(inspector.counts.actions);
    expect(mine(dataOf<Inbox>(await mes.call('operator', 'GET', '/api/me/tasks')))).toHaveLength(1);
    // The analyst reads problems but is not assigned any of their actions.
    expect(mine(dataOf<Inbox>(await mes.call('analyst', 'GET', '/api/me/tasks')))).toEqual([]);

    const analysed = await mes.call(
      'operator',
      'POST',
      `/api/engineering-problems/${problem.id}/actions/analyse`,
      {
        version: 1,
        fields: {
          ownerId: Number(
            (await mes.query<{ id: number }>("SELECT id FROM sys_user WHERE username = 'inspector'"))[0].id,
          ),
        },
      },
    );
    expect(analysed.statusCode).toBe(201);
    // In analysis only the inspector can act (resolve); the operator's task is gone.
    expect(mine(dataOf<Inbox>(await mes.call('inspector', 'GET', '/api/me/tasks')))).toEqual([
      expect.objectContaining({
        state: 'IN_ANALYSIS',
        actions: [expect.objectContaining({ action: 'resolve' })],
      }),
    ]);
    expect(mine(dataOf<Inbox>(await mes.call('operator', 'GET', '/api/me/tasks')))).toEqual([]);
  });
});
