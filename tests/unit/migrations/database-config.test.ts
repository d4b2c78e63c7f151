import {
  DatabaseConfigError,
  describeDatabase,
  loadDatabaseConfig,
  schemaFor,
} from '../../../platform/src/data/connection';

describe('loadDatabaseConfig', () => {
  it('defaults to the SQLite file ./data/mes.sqlite with a pool of 10', () => {
    expect(loadDatabaseConfig({})).toEqual({
      dialect: 'sqlite',
      path: './data/mes.sqlite',
      poolSize: 10,
      schemas: {},
    });
  });

  it('reads sqlite:<path> and sqlite::memory:', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: 'sqlite:/tmp/x/mes.db' })).toMatchObject({
      path: '/tmp/x/mes.db',
    });
    expect(loadDatabaseConfig({ DATABASE_URL: 'sqlite::memory:' })).toMatchObject({ path: ':memory:' });
  });

  it('parses a mysql URL with encoded credentials, default port and pool size', () => {
    const config = loadDatabaseConfig({
      DATABASE_URL: 'mysql://mes%40app:p%3Ass@db.local/mes_prod',
      DB_POOL_SIZE: '25',
    });
    expect(config).toEqual({
      dialect: 'mysql',
      host: 'db.local',
      port: 3306,
      user: 'mes@app',
      password: 'p:ss',
      database: 'mes_prod',
      poolSize: 25,
      schemas: {},
      replicas: [],
    });
    expect(describeDatabase(config)).toBe('mysql://mes@app@db.local:3306/mes_prod');
  });

  it('maps logical databases to MySQL schemas; SQLite keeps everything in one file', () => {
    const env = { DATABASE_SCHEMA_LOG: 'mes_log', DATABASE_SCHEMA_BI: 'mes_bi' };
    const mysql = loadDatabaseConfig({ ...env, DATABASE_URL: 'mysql://root@localhost:3307/mes' });
    expect(schemaFor(mysql, 'log')).toBe('mes_log');
    expect(schemaFor(mysql, 'core')).toBeUndefined();
    expect(schemaFor(loadDatabaseConfig(env), 'log')).toBeUndefined();
  });

  it.each([
    [{ DATABASE_URL: 'postgres://x/y' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://root@localhost/' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL'],
    [{ DB_POOL_SIZE: 'ten' }, 'DB_POOL_SIZE'],
    [{ DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE'],
    [{ DATABASE_SCHEMA_LOG: 'bad name;' }, 'DATABASE_SCHEMA_LOG'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => loadDatabaseConfig(env)).toThrow(DatabaseConfigError);
    expect(() => loadDatabaseConfig(env)).toThrow(new RegExp(`^${variable}: `));
  });

  it('reads read replicas of the primary database from DATABASE_REPLICA_URLS', () => {
    const config = loadDatabaseConfig({
      DATABASE_URL: 'mysql://mes:pw@primary:3306/mes',
      DATABASE_REPLICA_URLS: 'mysql://reader:rpw@replica1:3307/mes, mysql://reader:rpw@replica2/mes',
    });
    expect(config.dialect === 'mysql' && config.replicas).toEqual([
      { host: 'replica1', port: 3307, user: 'reader', password: 'rpw', database: 'mes' },
      { host: 'replica2', port: 3306, user: 'reader', password: 'rpw', database: 'mes' },
    ]);
    expect(describeDatabase(config)).toBe(
      'mysql://mes@primary:3306/mes (replicas replica1:3307, replica2:3306)',
    );
  });

  it.each([
    [
      { DATABASE_URL: 'mysql://root@p/mes', DATABASE_REPLICA_URLS: 'mysql://root@r/other' },
      /primary's database "mes"/,
    ],
    [{ DATABASE_URL: 'mysql://root@p/mes', DATABASE_REPLICA_URLS: 'sqlite:x' }, /is not a mysql:\/\/ URL/],
    [{ DATABASE_REPLICA_URLS: 'mysql://root@r/mes' }, /need a mysql:\/\/ DATABASE_URL/],
  ])('rejects replicas %j', (env, message) => {
    expect(() => loadDatabaseConfig(env)).toThrow(/^DATABASE_REPLICA_URLS: /);
    expect(() => loadDatabaseConfig(env)).toThrow(message);
  });

  it('never prints the password of a rejected URL', () => {
    expect(() => loadDatabaseConfig({ DATABASE_URL: 'mssql://sa:secret@host/db' })).toThrow(/sa:\*\*\*@/);
  });
});
