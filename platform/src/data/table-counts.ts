import type { DataSource } from 'typeorm';
import { dialectOf } from './connection/create-data-source';
import { placementOf } from './table-placement';

/**
 * Rows per table of the database (TypeORM's migrations table included) and of the schemas logical
 * databases are placed in (DATABASE_SCHEMA_*), by table name.
 */
export async function tableCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const runner = dataSource.createQueryRunner();
  try {
    const schemas = Object.values(placementOf(dataSource).configured);
    const names =
      dialectOf(dataSource) === 'sqlite'
        ? ((await runner.query(
            "SELECT NULL AS `schema`, name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )) as { schema: null; name: string }[])
        : ((await runner.query(
            `SELECT IF(TABLE_SCHEMA = DATABASE(), NULL, TABLE_SCHEMA) AS \`schema\`, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (DATABASE()${schemas.map(() => ', ?').join('')}) AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
            schemas,
          )) as { schema: string | null; name: string }[]);
    const quote = (name: string) => dataSource.driver.escape(name);
    const counts: Record<string, number> = {};
    for (const { schema, name } of names) {
      const table = schema ? `${quote(schema)}.${quote(name)}` : quote(name);
      const [row] = (await runner.query(`SELECT COUNT(*) AS n FROM ${table}`)) as { n: number }[];
      counts[name] = Number(row.n);
    }
    return counts;
  } finally {
    await runner.release();
  }
}
