/**
 * A run whose lease ran out is taken over by another runner, and the runner that claimed it first
 * applies nothing when it comes back: the supplier's NCR count moves once. On SQLite and MariaDB,
 * with the runner driven by the test (AUTOMATION_RUNNER=off).
 */
import { RuleRunner } from '../../../platform/src/rules/rule-runner';
import { startMesServer, type MesServer } from '../scenario/mes-server';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each(TEST_DIALECTS)('rule run leases (%s)', (dialect) => {
  let mes: MesServer;

  beforeAll(async () => {
    mes = await startMesServer(dialect, 'rule_leases', { AUTOMATION_RUNNER: 'off' });
  }, 180_000);

  afterAll(async () => {
    await mes?.stop();
  });

  it('applies a run taken over after its lease ran out once, never again by the runner that lost it', async () => {
    const supplier = await mes.create('admin', '/api/suppliers', { supplierName: 'Lease Boards' });
    const ncr = await mes.create('inspector', '/api/ncrs', {
      title: 'Warped boards',
      source: 'IQC',
      severity: 'LOW',
      category: 'MATERIAL',
      description: 'Warped after reflow',
      supplierId: Number(supplier.id),
    });
    await mes.query("UPDATE auto_job SET due_ms = 0 WHERE status = 'PENDING'");
    const first = mes.server.automation.runner;
    const claimed = await first.jobs.claimBatch(first.deps.database, Date.now(), 50, 60_000);
    const stale = claimed.find((job) => job.rule === 'ncr_supplier_score' && job.recordId === Number(ncr.id));
    expect(stale).toBeDefined();
    // The first runner stalls past its lease: the other runner takes the run over and runs it.
    await mes.query('UPDATE auto_job SET lease_ms = 0 WHERE id = ?', [stale!.id]);
    await new RuleRunner(first.deps).round();
    // The first runner comes back to every run it claimed; the one it lost is left alone.
    for (const job of claimed) await first.run(job);

    const [job] = await mes.query<{ status: string; attempts: number }>(
      'SELECT status, attempts FROM auto_job WHERE id = ?',
      [stale!.id],
    );
    expect({ status: job!.status, attempts: Number(job!.attempts) }).toEqual({ status: 'DONE', attempts: 2 });
    const after = await mes.get('admin', `/api/suppliers/${String(supplier.id)}`);
    expect(after.ncrCount).toBe(1);
  });
});
