/** A database dialect the integration suites run on. */
export type TestDialect = 'sqlite' | 'mysql';

const ALL_DIALECTS: readonly TestDialect[] = ['sqlite', 'mysql'];

/**
 * The dialects the suites that run on both databases are run on: both, unless `MES_TEST_DIALECTS`
 * names a comma-separated subset. CI's Node 22 step names `sqlite`: it proves the platform and its
 * native modules on that Node, while the main run covers MariaDB.
 */
export const TEST_DIALECTS: readonly TestDialect[] = selectDialects(process.env.MES_TEST_DIALECTS);

function selectDialects(setting: string | undefined): readonly TestDialect[] {
  if (setting === undefined || setting.trim() === '') return ALL_DIALECTS;
  const named = setting.split(',').map((name) => name.trim());
  const unknown = named.filter((name) => !ALL_DIALECTS.includes(name as TestDialect));
  if (unknown.length > 0)
    throw new Error(`MES_TEST_DIALECTS: unknown dialect '${unknown.join("', '")}' (use sqlite, mysql)`);
  return ALL_DIALECTS.filter((dialect) => named.includes(dialect));
}
