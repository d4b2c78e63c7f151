/**
 * Rules, timers, alerts, notifications and the task inbox on the real server with the core rules,
 * over HTTP as the users who do the work. The runner is driven by the test (AUTOMATION_RUNNER=off
 * and `round()`), so time can be moved by making a job due, and three runners can race for the
 * same jobs. SQLite here; the MariaDB suite runs the concurrency cases on a pooled database.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { RuleRunner } from '../../../platform/src/rules/rule-runner';
import { waitForValue } from '../../support/wait-for';
import { startMesServer, type MesServer } from '../scenario/mes-server';

interface Mail {
  to: string;
  subject: string;
}

async function startSmtpSink(): Promise<{ server: SMTPServer; port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          subject: /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '',
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port, mails };
}

describe('automation (SQLite)', () => {
  let mes: MesServer;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  const today = () => new Date().toISOString().slice(0, 10);
  const plusDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

  const runner = () => mes.server.automation.runner;
  const jobsOf = (rule: string) =>
    mes.query<{ id: number; status: string; record_id: number; attempts: number; last_error: string | null }>(
      'SELECT id, status, record_id, attempts, last_error FROM auto_job WHERE rule = ? ORDER BY id',
      [rule],
    );
  /** Time passes: the rule's pending jobs are due now. */
  const makeDue = (rule: string) =>
    mes.query("UPDATE auto_job SET due_ms = 0 WHERE rule = ? AND status = 'PENDING'", [rule]);

  beforeAll(async () => {
    smtp = await startSmtpSink();
    mes = await startMesServer('sqlite', 'automation', {
      AUTOMATION_RUNNER: 'off',
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    });
  }, 180_000);

  afterAll(async () => {
    await mes?.stop();
    await new Promise<void>((resolve) => smtp?.server.close(() => resolve()));
  });

  it('assigns a new NCR to its department manager, due by severity, inside the write', async () => {
    const departments = await mes.call('admin', 'GET', '/api/departments?filter[deptCode]=QC');
    const qc = departments.json().data.items[0] as { id: number };
    await mes.call('admin', 'PATCH', `/api/departments/${qc.id}`, {
      managerId: mes.userIds.planner,
      version: (await mes.get('admin', `/api/departments/${qc.id}`)).version,
    });
    const ncr = await mes.create('inspector', '/api/ncrs', {
      title: 'Solder bridges on U7',
      source: 'IPQC',
      severity: 'HIGH',
      category: 'PROCESS',
      description: 'Bridging between pins 3 and 4',
      departmentId: qc.id,
    });
    expect(ncr.assigneeId).toBe(mes.userIds.planner);
    expect(ncr.dueDate).toBe(plusDays(3));
    // A given assignee and date are kept.
    const named = await mes.create('inspector', '/api/ncrs', {
      title: 'Scratch on housing',
      source: 'FQC',
      severity: 'LOW',
      category: 'PROCESS',
      description: 'Cosmetic',
      departmentId: qc.id,
      assigneeId: mes.userIds.inspector,
      dueDate: today(),
    });
    expect(named.assigneeId).toBe(mes.userIds.inspector);
    expect(named.dueDate).toBe(today());
  });

  let supplierId: number;
  let supplierNcrId: number;

  it("updates the supplier's NCR count and score once, after commit, through the run log", async () => {
    const supplier = await mes.create('admin', '/api/suppliers', {
      supplierName: 'Acme Boards',
      qualityRating: 4.8,
    });
    supplierId = Number(supplier.id);
    const ncr = await mes.create('inspector', '/api/ncrs', {
      title: 'Delaminated PCBs from Acme',
      source: 'IQC',
      severity: 'CRITICAL',
      category: 'MATERIAL',
      description: 'Delamination after reflow',
      supplierId,
    });
    supplierNcrId = Number(ncr.id);
    // Queued on every NCR in the write's transaction; the condition is read when the run runs.
    expect((await jobsOf('ncr_supplier_score')).map((job) => job.status)).toEqual([
      'PENDING',
      'PENDING',
      'PENDING',
    ]);
    // Three runners race for the job: exactly one runs it.
    const others = [new RuleRunner(runner().deps), new RuleRunner(runner().deps)];
    await Promise.all([runner().round(), ...others.map((r) => r.round())]);
    expect(await jobsOf('ncr_supplier_score')).toEqual([
      expect.objectContaining({ status: 'SKIPPED', attempts: 1 }),
      expect.objectContaining({ status: 'SKIPPED', attempts: 1 }),
      expect.objectContaining({ status: 'DONE', attempts: 1, record_id: supplierNcrId }),
    ]);
    const after = await mes.get('admin', `/api/suppliers/${supplierId}`);
    expect(after.ncrCount).toBe(1);
    expect(Number(after.qualityRating)).toBeCloseTo(3.8, 4);

    const runs = await mes.call('admin', 'GET', '/api/automation/runs?rule=ncr_supplier_score');
    expect(runs.statusCode).toBe(200);
    const logged = runs.json().data.items.find((item: { status: string }) => item.status === 'DONE');
    expect(logged).toEqual(
      expect.objectContaining({
        rule: 'ncr_supplier_score',
        entity: 'ncr',
        triggerEvent: 'created',
        status: 'DONE',
      }),
    );
    expect(typeof logged.durationMs).toBe('number');
  });

  it('test-runs a rule against a record and shows what it would do, writing nothing', async () => {
    const response = await mes.call('admin', 'POST', '/api/automation/rules/ncr_supplier_score/test', {
      recordId: supplierNcrId,
    });
    expect(response.statusCode).toBe(201);
    const run = response.json().data;
    expect(run.holds).toBe(true);
    expect(run.actions[0]).toEqual({
      action: 'set',
      detail: { entity: 'supplier_master', id: supplierId, values: { ncr_count: 2, quality_rating: 2.8 } },
    });
    expect((await mes.get('admin', `/api/suppliers/${supplierId}`)).ncrCount).toBe(1);
    expect(
      (
        await mes.call('inspector', 'POST', '/api/automation/rules/ncr_supplier_score/test', {
          recordId: supplierNcrId,
        })
      ).statusCode,
    ).toBe(403);
    const unknown = await mes.call('admin', 'POST', '/api/automation/rules/no_such_rule/test', {
      recordId: 1,
    });
    expect(unknown.statusCode).toBe(404);
    const bad = await mes.call('admin', 'POST', '/api/automation/rules/ncr_supplier_score/test', {
      recordId: 'x',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors?.[0]?.field ?? bad.json().data?.errors?.[0]?.field ?? bad.body).toContain(
      'recordId',
    );
  });

  it('retries a failing run with backoff, dead-letters it, and runs it again when retried from the log', async () => {
    const ncr = await mes.create('inspector', '/api/ncrs', {
      title: 'Wrong labels from Acme',
      source: 'IQC',
      severity: 'LOW',
      category: 'MATERIAL',
      description: 'Labels misprinted',
      supplierId,
    });
    // The record the run reads is gone before it runs: every attempt fails.
    await mes.query(`UPDATE ${mes.table('ncr')} SET deleted_at = ? WHERE id = ?`, [
      new Date().toISOString().replace('T', ' ').slice(0, 19),
      ncr.id,
    ]);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await makeDue('ncr_supplier_score');
      await runner().round();
      const job = (await jobsOf('ncr_supplier_score')).find((j) => j.record_id === Number(ncr.id))!;
      expect(job.attempts).toBe(attempt);
      expect(job.status).toBe(attempt < 3 ? 'PENDING' : 'DEAD');
      expect(job.last_error).toMatch(/not found|does not exist|no .*ncr/i);
    }
    const dead = (await jobsOf('ncr_supplier_score')).find((j) => j.record_id === Number(ncr.id))!;
    expect((await mes.call('admin', 'POST', `/api/automation/runs/${dead.id}/retry`)).statusCode).toBe(201);
    expect((await mes.call('admin', 'POST', `/api/automation/runs/${dead.id}/retry`)).statusCode).toBe(400);
    await mes.query(`UPDATE ${mes.table('ncr')} SET deleted_at = NULL WHERE id = ?`, [ncr.id]);
    await runner().round();
    expect((await jobsOf('ncr_supplier_score')).find((j) => j.id === dead.id)!.status).toBe('DONE');
    expect((await mes.get('admin', `/api/suppliers/${supplierId}`)).ncrCount).toBe(2);
    expect((await mes.call('inspector', 'GET', '/api/automation/runs')).statusCode).toBe(403);
  });

  it('retries a failing run alone while the other runs of the same round commit, each counted once', async () => {
    const before = Number((await mes.get('admin', `/api/suppliers/${supplierId}`)).ncrCount);
    const report = (title: string) =>
      mes.create('inspector', '/api/ncrs', {
        title,
        source: 'IQC',
        severity: 'LOW',
        category: 'MATERIAL',
        description: title,
        supplierId,
      });
    const first = await report('Scratched housings from Acme');
    const gone = await report('Bent pins from Acme');
    const last = await report('Missing screws from Acme');
    await mes.query(`UPDATE ${mes.table('ncr')} SET deleted_at = ? WHERE id = ?`, [
      new Date().toISOString().replace('T', ' ').slice(0, 19),
      gone.id,
    ]);
    await makeDue('ncr_supplier_score');
    await runner().round();
    const jobs = await jobsOf('ncr_supplier_score');
    const of = (ncr: Record<string, unknown>) => jobs.find((job) => job.record_id === Number(ncr.id))!;
    expect([of(first), of(gone), of(last)].map((job) => [job.status, job.attempts])).toEqual([
      ['DONE', 1],
      ['PENDING', 1],
      ['DONE', 1],
    ]);
    expect(of(gone).last_error).toMatch(/not found|does not exist|no .*ncr/i);
    // The runs on the same supplier each counted once.
    expect(Number((await mes.get('admin', `/api/suppliers/${supplierId}`)).ncrCount)).toBe(before + 2);
    await mes.query(`UPDATE ${mes.table('ncr')} SET deleted_at = NULL WHERE id = ?`, [gone.id]);
    await makeDue('ncr_supplier_score');
    await runner().round();
    expect((await jobsOf('ncr_supplier_score')).find((job) => job.record_id === Number(gone.id))).toEqual(
      expect.objectContaining({ status: 'DONE', attempts: 2 }),
    );
    expect(Number((await mes.get('admin', `/api/suppliers/${supplierId}`)).ncrCount)).toBe(before + 3);
  });

  it('escalates an unacknowledged critical alert once, by bell and e-mail, and never one acknowledged in time', async () => {
    // The inspector also manages quality (escalations go to quality managers) and reads e-mail;
    // the alerts are assigned to the planner, who acknowledges them.
    const [role] = await mes.query<{ id: number }>(
      `SELECT id FROM ${mes.table('role')} WHERE role_code = 'quality_manager'`,
    );
    const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
    await mes.query(
      `INSERT INTO ${mes.table('user_role')} (tenant_id, user_id, role_id, created_at, updated_at, version) VALUES ('DEMO', ?, ?, ?, ?, 1)`,
      [mes.userIds.inspector, role!.id, now, now],
    );
    await mes.query(`UPDATE ${mes.table('user')} SET locale = 'en' WHERE id = ?`, [mes.userIds.inspector]);
    const inspector = await mes.get('admin', `/api/users/${mes.userIds.inspector}`);
    await mes.call('admin', 'PATCH', `/api/users/${mes.userIds.inspector}`, {
      email: 'qm@plant.test',
      version: inspector.version,
    });

    const raise = (title: string) =>
      mes.create('admin', '/api/alert-events', {
        alertType: 'QUALITY',
        severity: 'CRITICAL',
        title,
        dedupKey: title,
        firstOccurredAt: new Date().toISOString(),
        lastOccurredAt: new Date().toISOString(),
        assigneeId: mes.userIds.planner,
      });
    const ignored = await raise('Oven 2 temperature out of range');
    const handled = await raise('AOI false calls rising');
    const timers = await jobsOf('alert_escalation');
    expect(timers.map((t) => t.status)).toEqual(['PENDING', 'PENDING']);

    // The inbox shows both alerts assigned to the planner, with their SLA deadlines.
    const inbox = (await mes.call('planner', 'GET', '/api/me/tasks')).json().data;
    const assigned = inbox.assigned.filter((task: { entity: string }) => task.entity === 'alert_event');
    expect(assigned.map((task: { recordId: number }) => task.recordId).sort()).toEqual(
      [Number(ignored.id), Number(handled.id)].sort(),
    );
    expect(assigned[0].deadlines[0].rule).toBe('alert_escalation');
    expect(Date.parse(assigned[0].deadlines[0].dueAt)).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(inbox.counts.assigned).toBeGreaterThanOrEqual(2);

    await mes.act('planner', `/api/alert-events/${handled.id}/actions/acknowledge`);
    expect((await jobsOf('alert_escalation')).find((t) => t.record_id === Number(handled.id))!.status).toBe(
      'CANCELLED',
    );

    await makeDue('alert_escalation');
    const others = [new RuleRunner(runner().deps), new RuleRunner(runner().deps)];
    await Promise.all([runner().round(), ...others.map((r) => r.round())]);
    expect((await jobsOf('alert_escalation')).map((t) => t.status)).toEqual(['DONE', 'CANCELLED']);

    const bell = await mes.call('inspector', 'GET', '/api/me/notifications?unread=true');
    const escalations = bell.json().data.filter((n: { title: string }) => n.title.startsWith('Escalated'));
    expect(escalations).toEqual([
      expect.objectContaining({
        title: 'Escalated: Oven 2 temperature out of range',
        recordId: Number(ignored.id),
      }),
    ]);
    expect(smtp.mails.filter((mail) => mail.subject.startsWith('Escalated'))).toEqual([
      { to: 'qm@plant.test', subject: 'Escalated: Oven 2 temperature out of range' },
    ]);
    const count = (await mes.call('inspector', 'GET', '/api/me/notifications/count')).json().data.unread;
    expect(count).toBeGreaterThanOrEqual(1);
    const read = await mes.call('inspector', 'POST', '/api/me/notifications/read', {});
    expect(read.json().data).toEqual({ marked: count, unread: 0 });
    const deliveries = (await mes.call('admin', 'GET', '/api/automation/deliveries')).json().data;
    expect(
      deliveries
        .filter((d: { rule: string }) => d.rule === 'alert_escalation')
        .map((d: { channel: string; status: string }) => `${d.channel}:${d.status}`)
        .sort(),
      // In the app to both quality managers (the inspector and the demo `qmanager`), by e-mail to the
      // one with an address.
    ).toEqual(['email:SENT', 'in_app:SENT', 'in_app:SENT']);
  });

  it('holds the work order and alerts the line supervisor when the IPQC failure rate passes 20 %', async () => {
    const uom = await mes.create('admin', '/api/units', { uomCode: 'A-PCS', uomName: 'Pieces' });
    const plant = await mes.create('admin', '/api/plants', { plantCode: 'A-P1', plantName: 'Plant A' });
    const line = await mes.create('admin', '/api/production-lines', {
      lineCode: 'AU01',
      lineName: 'Line A',
      plantId: plant.id,
      supervisorId: mes.userIds.planner,
    });
    const product = await mes.create('admin', '/api/items', {
      itemName: 'Meter',
      itemType: 'FINISHED',
      uomId: uom.id,
    });
    const order = await mes.create('planner', '/api/work-orders', {
      itemId: product.id,
      lineId: line.id,
      plannedQuantity: 50,
      plannedStart: new Date().toISOString(),
    });
    const orderUrl = `/api/work-orders/${order.id}`;
    await mes.act('planner', `${orderUrl}/actions/release`);
    // The line's operator starts production (an administrator here: no operator works on this line).
    await mes.act('admin', `${orderUrl}/actions/start`);

    const inspect = async (outcome: 'pass' | 'fail') => {
      const inspection = await mes.create('inspector', '/api/inspections', {
        inspectionType: 'IPQC',
        refType: 'WO',
        refId: String(order.woNo),
        workOrderId: order.id,
        inspectorId: mes.userIds.inspector,
        inspectionDate: new Date().toISOString(),
        sampleSize: 5,
      });
      const url = `/api/inspections/${inspection.id}`;
      await mes.act('inspector', `${url}/actions/start`);
      if (outcome === 'pass') await mes.act('inspector', `${url}/actions/pass`);
      else
        await mes.act('inspector', `${url}/actions/fail`, {
          fields: { defectQuantity: 1, failureReason: 'Cold joints', problemSeverity: 'HIGH' },
        });
      await runner().round();
      return Number(inspection.id);
    };
    for (let i = 0; i < 4; i++) await inspect('pass');
    const first = await inspect('fail');
    // 1 of 5 failed: 20 %, not above the threshold.
    expect((await jobsOf('ipqc_failure_rate_hold')).map((j) => [j.record_id, j.status])).toEqual([
      [first, 'SKIPPED'],
    ]);
    expect((await mes.get('planner', orderUrl)).status).toBe('IN_PROGRESS');

    const second = await inspect('fail');
    expect((await jobsOf('ipqc_failure_rate_hold')).map((j) => [j.record_id, j.status])).toEqual([
      [first, 'SKIPPED'],
      [second, 'DONE'],
    ]);
    expect((await mes.get('planner', orderUrl)).status).toBe('ON_HOLD');
    // These inspections follow no plan: the tightening of the plan's sampling has nothing to act on.
    const [, run] = await mes.query<{ result: string }>(
      "SELECT result FROM auto_job WHERE rule = 'ipqc_failure_rate_hold' ORDER BY id",
    );
    const steps = (
      JSON.parse(run!.result) as { actions: { action: string; detail: Record<string, unknown> }[] }
    ).actions;
    expect(steps.map((step) => [step.action, step.detail.skipped ?? null])).toEqual([
      ['transition', null],
      ['set', 'no related record'],
      ['alert', null],
      ['notify', null],
    ]);
    const alerts = await mes.call('planner', 'GET', `/api/alert-events?filter[sourceId]=${second}`);
    const alert = alerts.json().data.items[0];
    expect(alert).toEqual(
      expect.objectContaining({
        alertType: 'QUALITY',
        severity: 'CRITICAL',
        status: 'ACTIVE',
        assigneeId: mes.userIds.planner,
      }),
    );
    expect(Number(alert.currentValue)).toBeCloseTo(2 / 6, 3);
    const bell = (await mes.call('planner', 'GET', '/api/me/notifications?unread=true')).json().data;
    expect(bell.map((n: { title: string }) => n.title)).toContain(
      `Work order ${String(order.woNo)} on hold: IPQC failures`,
    );
    // After the fix the supervisor resumes the order.
    await mes.act('planner', `${orderUrl}/actions/resume`);
    expect((await mes.get('planner', orderUrl)).status).toBe('IN_PROGRESS');
  });

  it('keeps e-mail off for a user who switched it off', async () => {
    const response = await mes.call('inspector', 'PUT' as 'PATCH', '/api/me/notification-preferences', {
      email: false,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({ in_app: true, email: false });
    const bad = await mes.call('inspector', 'PUT' as 'PATCH', '/api/me/notification-preferences', {
      sms: true,
    });
    expect(bad.statusCode).toBe(400);
    const before = smtp.mails.length;
    await mes.create('admin', '/api/alert-events', {
      alertType: 'QUALITY',
      severity: 'FATAL',
      title: 'Nitrogen supply lost',
      dedupKey: 'n2',
      firstOccurredAt: new Date().toISOString(),
      lastOccurredAt: new Date().toISOString(),
    });
    await makeDue('alert_escalation');
    await runner().round();
    const titles = (await mes.call('inspector', 'GET', '/api/me/notifications?unread=true'))
      .json()
      .data.map((n: { title: string }) => n.title);
    expect(titles).toContain('Escalated: Nitrogen supply lost');
    expect(smtp.mails.length).toBe(before);
  });

  it('wakes a started runner at the due time of the earliest timer, with no polling to wait for', async () => {
    // Polling alone would take ten minutes: only the runner's alarm can fire these timers.
    const sleeper = new RuleRunner(runner().deps, { pollMs: 600_000 });
    const raise = (title: string) =>
      mes.create('admin', '/api/alert-events', {
        alertType: 'QUALITY',
        severity: 'CRITICAL',
        title,
        dedupKey: title,
        firstOccurredAt: new Date().toISOString(),
        lastOccurredAt: new Date().toISOString(),
      });
    const timerOf = async (id: unknown) =>
      (await jobsOf('alert_escalation')).find((job) => job.record_id === Number(id))!;
    const settled = (id: unknown) =>
      waitForValue(`the timer of alert ${String(id)} to settle`, async () => {
        const { status } = await timerOf(id);
        return status === 'PENDING' || status === 'RUNNING' ? undefined : status;
      });
    try {
      // Due soon when the runner starts: it sleeps until then (read when it fell idle).
      const early = await raise('Wave solder flux low');
      await mes.query("UPDATE auto_job SET due_ms = ? WHERE rule = 'alert_escalation' AND record_id = ?", [
        Date.now() + 300,
        early.id,
      ]);
      sleeper.start();
      expect(await settled(early.id)).toBe('DONE');
      // Announced while it sleeps (as a commit announces its jobs): the alarm moves earlier.
      const late = await raise('Pick-and-place nozzle worn');
      const due = Date.now() + 300;
      await mes.query("UPDATE auto_job SET due_ms = ? WHERE rule = 'alert_escalation' AND record_id = ?", [
        due,
        late.id,
      ]);
      sleeper.notify(due);
      expect(await settled(late.id)).toBe('DONE');
      // Announced while the runner reads the next due time, after that read (the commit came later):
      // the announcement still sets the alarm.
      const racing = await raise('Reflow oven zone 3 drift');
      const nextDue = sleeper.jobs.nextDue.bind(sleeper.jobs);
      jest.spyOn(sleeper.jobs, 'nextDue').mockImplementationOnce(async (sql) => {
        const read = await nextDue(sql);
        const soon = Date.now() + 300;
        await mes.query("UPDATE auto_job SET due_ms = ? WHERE rule = 'alert_escalation' AND record_id = ?", [
          soon,
          racing.id,
        ]);
        sleeper.notify(soon);
        return read;
      });
      // Woken with nothing due, it reads the next due time and goes back to sleep.
      sleeper.notify();
      expect(await settled(racing.id)).toBe('DONE');
    } finally {
      await sleeper.stop();
    }
  }, 30_000);
});
