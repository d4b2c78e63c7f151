export {
  DEFAULT_DATABASE_URL,
  DEFAULT_POOL_SIZE,
  DatabaseConfigError,
  LOGICAL_DATABASES,
  describeDatabase,
  loadDatabaseConfig,
  schemaFor,
} from './database-config';
export type {
  DatabaseConfig,
  Dialect,
  LogicalDatabaseName,
  MysqlDatabaseConfig,
  SqliteDatabaseConfig,
} from './database-config';
export { createDataSource, dialectOf, hasReplicas } from './create-data-source';
export type { CreateDataSourceOptions } from './create-data-source';
