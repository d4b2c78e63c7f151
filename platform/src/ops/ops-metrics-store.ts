/** The database reads behind the operations gauges, taken at scrape time. */
import { AUDIT_TABLE } from '../audit/audit-record';
import type { EngineDatabase } from '../data/database';

export interface PoolUsage {
  total: number;
  idle: number;
  limit: number;
}

export class OpsMetricsStore {
  constructor(private readonly database: EngineDatabase) {}

  /** Audit records written but not yet hash-chained, and when the oldest of them happened. */
  async unsealedAudit(): Promise<{ count: number; oldest: unknown }> {
    const [row] = await this.database
      .executor()
      .query<{ n: number | string; oldest: unknown }>(
        `SELECT COUNT(*) AS n, MIN(occurred_at) AS oldest FROM ${this.database.dialect.quote(AUDIT_TABLE)} WHERE seq IS NULL`,
      );
    return { count: Number(row?.n ?? 0), oldest: row?.oldest ?? null };
  }

  /**
   * Connections of the MySQL pool (mysql2 keeps no public counters, so its lists are read); SQLite
   * has one connection and no pool.
   */
  poolUsage(): PoolUsage | null {
    const pool = (this.database.dataSource.driver as unknown as { pool?: MysqlPool }).pool;
    if (!pool?._allConnections) return null;
    return {
      total: pool._allConnections.length,
      idle: pool._freeConnections?.length ?? 0,
      limit: Number(pool.config?.connectionLimit ?? 0),
    };
  }
}

interface MysqlPool {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  config?: { connectionLimit?: number };
}
