import { sealAuditChains } from '../../platform/src/audit/audit-sealer';
import { verifyAuditChain } from '../../platform/src/audit/audit-verify';
import type { EngineDatabase } from '../../platform/src/data/database';

/** Seals what the background sealer has not reached yet, then asserts every chain verifies whole. */
export async function expectIntactAuditChain(db: EngineDatabase): Promise<void> {
  await sealAuditChains(db);
  const report = await verifyAuditChain(db.executor());
  expect(report.problems).toEqual([]);
  expect(report.unsealed).toBe(0);
  expect(report.records).toBeGreaterThan(0);
}
