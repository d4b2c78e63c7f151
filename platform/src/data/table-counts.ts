import type { DataSource } from 'typeorm';
import { dialectOf } from './connection/create-data-source';

/** Rows per table of the database (TypeORM's migrations table included), by table name. */
export async function tableCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const runner = dataSource.createQueryRunner();
  try {
    const names =
      dialectOf(dataSource) === 'sqlite'
        ? ((await runner.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )) as { name: string }[])
        : ((await runner.query(
            "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
          )) as { name: string }[]);
    const quote = (name: string) => dataSource.driver.escape(name);
    const counts: Record<string, number> = {};
    for (const { name } of names) {
      const [row] = (await runner.query(`SELECT COUNT(*) AS n FROM ${quote(name)}`)) as { n: number }[];
      counts[name] = Number(row.n);
    }
    return counts;
  } finally {
    await runner.release();
  }
}
