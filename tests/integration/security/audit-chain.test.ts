import { sealAuditChains } from '../../../platform/src/audit/audit-sealer';
import { appendAudit } from '../../../platform/src/audit/audit-writer';
import { verifyAuditChain } from '../../../platform/src/audit/audit-verify';
import {
  openSecurityDatabase,
  type SecurityTestDatabase,
  type TestDialect,
} from '../../fixtures/security/database';
import { TEST_DIALECTS } from '../../support/test-dialects';

describe.each<TestDialect>(TEST_DIALECTS)('audit hash chain on %s', (dialect) => {
  let database: SecurityTestDatabase;

  beforeAll(async () => {
    database = await openSecurityDatabase(dialect, 'audit', ['audit_log']);
  });
  afterAll(async () => {
    await database?.close();
  });

  async function append(
    tenantId: string,
    recordId: number,
    before: Record<string, unknown> | null,
    after: Record<string, unknown> | null,
  ) {
    return database.db.transaction((tx) =>
      appendAudit(tx, {
        tenantId,
        actorId: '1',
        actorName: 'admin',
        entity: 'work_order',
        recordId,
        action: before ? 'UPDATE' : 'CREATE',
        before,
        after,
        reason: 'test',
        ip: '10.0.0.1',
        userAgent: 'jest',
        traceId: `trace-${recordId}`,
      }),
    );
  }

  it('chains records per tenant and verifies clean', async () => {
    await append('t1', 1, null, {
      woNo: 'WO-1',
      quantity: 5,
      operations: [{ id: 1, opSeq: 10 }],
    });
    await append(
      't1',
      1,
      { woNo: 'WO-1', quantity: 5, operations: [{ id: 1, opSeq: 10 }] },
      {
        woNo: 'WO-1',
        quantity: 7,
        operations: [{ id: 1, opSeq: 20 }, { opSeq: 30 }],
      },
    );
    await append('t2', 9, null, { woNo: 'WO-9' });
    for (let i = 2; i <= 6; i++) await append('t1', i, null, { woNo: `WO-${i}` });
    const unsealed = await verifyAuditChain(database.db.executor());
    expect(unsealed).toEqual({ tenants: 0, records: 0, unsealed: 8, problems: [] });
    expect(await sealAuditChains(database.db)).toBe(8);
    const rows = await database.db.executor().query<{
      id: number;
      seq: number;
      action: string;
      prev_hash: string;
      hash: string;
      diff: string;
      changed_fields: string;
    }>("SELECT id, seq, `action`, prev_hash, hash, diff, changed_fields FROM audit_log WHERE tenant_id = 't1' AND seq <= 2 ORDER BY seq");
    // The tenant's first two records, in the order they were appended.
    expect(rows.map((row) => row.action)).toEqual(['CREATE', 'UPDATE']);
    expect(Number(rows[0].id)).toBeLessThan(Number(rows[1].id));
    expect(rows[0].prev_hash).toBeNull();
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    const diff = typeof rows[1].diff === 'string' ? JSON.parse(rows[1].diff) : rows[1].diff;
    expect(diff).toEqual({
      changed: { quantity: [5, 7] },
      children: {
        operations: { added: [{ opSeq: 30 }], changed: [{ id: 1, diff: { changed: { opSeq: [10, 20] } } }] },
      },
    });
    const report = await verifyAuditChain(database.db.executor());
    expect(report).toEqual({ tenants: 2, records: 8, unsealed: 0, problems: [] });
  });

  it('extends a sealed chain with later records', async () => {
    await append('t2', 11, null, { woNo: 'WO-11' });
    expect(await sealAuditChains(database.db, 't2')).toBe(1);
    expect(await sealAuditChains(database.db)).toBe(0);
    expect(await verifyAuditChain(database.db.executor(), 't2')).toEqual({
      tenants: 1,
      records: 2,
      unsealed: 0,
      problems: [],
    });
  });

  it('detects an edited record', async () => {
    await database.db
      .executor()
      .execute("UPDATE audit_log SET reason = 'nothing to see' WHERE tenant_id = 't1' AND seq = 3");
    const report = await verifyAuditChain(database.db.executor(), 't1');
    expect(report.problems).toEqual([expect.objectContaining({ tenantId: 't1', seq: 3, kind: 'edited' })]);
  });

  it('detects a deleted record in the middle and deleted newest records', async () => {
    await database.db.executor().execute("DELETE FROM audit_log WHERE tenant_id = 't1' AND seq = 5");
    await database.db.executor().execute("DELETE FROM audit_log WHERE tenant_id = 't1' AND seq = 7");
    const report = await verifyAuditChain(database.db.executor());
    expect(report.problems.map((p) => [p.tenantId, p.seq, p.kind])).toEqual([
      ['t1', 3, 'edited'],
      ['t1', 5, 'missing'],
      ['t1', 7, 'truncated'],
    ]);
  });

  it('rolls the audit record back with the failed change', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await appendAudit(tx, {
          tenantId: 't2',
          actorId: '1',
          entity: 'work_order',
          recordId: 10,
          action: 'DELETE',
          before: { woNo: 'x' },
        });
        throw new Error('mutation failed');
      }),
    ).rejects.toThrow('mutation failed');
    await sealAuditChains(database.db);
    const report = await verifyAuditChain(database.db.executor(), 't2');
    expect(report).toEqual({ tenants: 1, records: 2, unsealed: 0, problems: [] });
  });

  it('keeps one unbroken chain under concurrent writers and concurrent sealers', async () => {
    const writers = Array.from({ length: 40 }, (_, i) => append('t3', 100 + i, null, { n: i }));
    const sealers = Array.from({ length: 4 }, () => sealAuditChains(database.db, 't3'));
    await Promise.all(writers);
    const sealedWhileWriting = (await Promise.all(sealers)).reduce((sum, n) => sum + n, 0);
    expect(sealedWhileWriting + (await sealAuditChains(database.db))).toBe(40);
    const report = await verifyAuditChain(database.db.executor(), 't3');
    expect(report).toEqual({ tenants: 1, records: 40, unsealed: 0, problems: [] });
  });

  it('seals more records than one batch holds, in row order', async () => {
    await database.db.transaction(async (tx) => {
      for (let i = 0; i < 1203; i++)
        await appendAudit(tx, {
          tenantId: 't4',
          actorId: 'system',
          entity: 'item',
          recordId: i,
          action: 'CREATE',
          after: { n: i },
        });
    });
    expect(await sealAuditChains(database.db)).toBe(1203);
    const order = await database.db
      .executor()
      .query<{ record_id: string }>("SELECT record_id FROM audit_log WHERE tenant_id = 't4' ORDER BY seq");
    expect(order.map((row) => Number(row.record_id))).toEqual(Array.from({ length: 1203 }, (_, i) => i));
    const report = await verifyAuditChain(database.db.executor(), 't4');
    expect(report).toEqual({ tenants: 1, records: 1203, unsealed: 0, problems: [] });
  });
});
