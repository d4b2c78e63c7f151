import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { hasReplicas } from './connection/create-data-source';
import { dialectFor, type Dialect } from './dialect';
import { placedDialect, placementOf } from './table-placement';
import { noteCommittedWrite, replicaReadAllowed } from './read-consistency';

export interface ExecuteResult {
  affected: number;
  insertId: number;
}

/** Runs parameterised SQL, either on the pool (reads) or inside one transaction. */
export interface SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Whether statements run in order on one connection inside one transaction, so a session value
   * one statement sets (MySQL's `LAST_INSERT_ID(expr)`) is what the next one reads.
   */
  readonly inTransaction: boolean;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  execute(sql: string, params?: readonly unknown[]): Promise<ExecuteResult>;
  /**
   * A write whose result nobody reads (an audit record, an outbox event). Inside a MySQL
   * transaction it is sent with the transaction's next statement or its COMMIT, in the same round
   * trip, and a failure surfaces there (rolling the transaction back); elsewhere it runs at once.
   */
  executeLater(sql: string, params?: readonly unknown[]): Promise<void>;
  /**
   * A read whose answer is needed later, e.g. a check the caller can prepare before other reads.
   * Inside a MySQL transaction it waits and travels with the transaction's next statement, in the
   * same round trip; `rows()` sends it when nothing else did. Elsewhere it runs on the first
   * `rows()`. So the caller issues it only where its answer holds until it is used.
   */
  queryLater<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): PendingRead<T>;
  /**
   * Runs `callback` once what this executor wrote is committed: after the transaction's commit
   * (never after a rollback or a retried attempt), or at once outside a transaction.
   */
  afterCommit(callback: () => void): void;
}

/** The answer of `queryLater`. */
export interface PendingRead<T> {
  rows(): Promise<T[]>;
}

/** A read run on its first `rows()`, once. */
function readOnDemand<T>(run: () => Promise<T[]>): PendingRead<T> {
  let answer: Promise<T[]> | undefined;
  return { rows: () => (answer ??= run()) };
}

const MAX_ATTEMPTS = 5;

export interface TransactionOptions {
  /**
   * MySQL only: READ COMMITTED takes no gap locks, so a long-running transaction that scans a
   * queue table (the outbox relay) does not block other transactions' inserts into it.
   */
  isolation?: 'READ COMMITTED';
}

/**
 * The engine's handle on a TypeORM DataSource (built by data/connection/). Statements go through
 * TypeORM query runners, so the DataSource's logger and subscribers see every one of them.
 *
 * SQLite has one connection: a statement issued while another request's transaction is open would
 * run inside that transaction (seeing its uncommitted rows, or a table halfway through a schema
 * change). So on SQLite every statement and transaction is queued, one after the other; MySQL runs
 * them in parallel on its pool.
 */
export class EngineDatabase {
  readonly dialect: Dialect;
  private readonly reader: SqlExecutor;
  private serialQueue: Promise<unknown> = Promise.resolve();
  /** Set inside queued work, so nested calls (a hook reading, a nested transaction) run in place. */
  private readonly holdsQueue = new AsyncLocalStorage<boolean>();

  constructor(readonly dataSource: DataSource) {
    this.dialect = placedDialect(
      dialectFor(
        dataSource.options.type,
        dataSource.isInitialized && dataSource.driver.isReturningSqlSupported('insert'),
      ),
      placementOf(dataSource),
    );
    const replicated = dataSource.isInitialized && hasReplicas(dataSource);
    this.reader = {
      dialect: this.dialect,
      inTransaction: false,
      query: <T>(sql: string, params: readonly unknown[] = []) =>
        this.serialized(() =>
          this.withRetry(async () =>
            replicated && replicaReadAllowed()
              ? ((await this.queryReplica(sql, params)) as T[])
              : ((await dataSource.query(sql, [...params])) as T[]),
          ),
        ),
      execute: async (sql, params = []) => {
        const result = await this.withQueryRunner((runner) =>
          this.withRetry(() => executeOn(runner, this.dialect, sql, params)),
        );
        noteCommittedWrite();
        return result;
      },
      executeLater: async (sql, params) => {
        await this.reader.execute(sql, params);
      },
      queryLater: <T>(sql: string, params: readonly unknown[] = []) =>
        readOnDemand(() => this.reader.query<T>(sql, params)),
      afterCommit: (callback) => callback(),
    };
  }

  /** A read on a replica; the primary answers when no replica does. */
  private async queryReplica(sql: string, params: readonly unknown[]): Promise<unknown> {
    let runner: QueryRunner;
    try {
      runner = this.dataSource.createQueryRunner('slave');
      await runner.connect();
    } catch {
      return this.dataSource.query(sql, [...params]);
    }
    try {
      return await runner.query(sql, [...params]);
    } finally {
      await runner.release();
    }
  }

  /** Executor outside any transaction (single statements, reads). */
  executor(): SqlExecutor {
    return this.reader;
  }

  /**
   * Runs `work` in one transaction: commit on success, rollback on any error. Deadlocks are retried
   * from the start (work must only touch the database through `tx`).
   */
  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.serialized(() => this.withRetry(() => this.runTransaction(work, options)));
  }

  /**
   * A query runner of its own for work that manages its own transaction (runtime schema changes),
   * queued with the engine's transactions on SQLite so the two never interleave on its connection.
   */
  async withQueryRunner<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      const runner = this.dataSource.createQueryRunner();
      try {
        return await work(runner);
      } finally {
        await runner.release();
      }
    });
  }

  /**
   * SQLite: queue `work` behind everything already queued. Work nested inside queued work runs at
   * once — waiting would deadlock — and, on SQLite's single connection, inside the outer
   * transaction (a nested transaction becomes a savepoint).
   */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    if (!this.dialect.serialTransactions || this.holdsQueue.getStore()) return work();
    const run = this.serialQueue.then(() => this.holdsQueue.run(true, work));
    this.serialQueue = run.catch(() => undefined);
    return run;
  }

  /** Runs `work` again after deadlocks and schema-change races, up to MAX_ATTEMPTS times in all. */
  private async withRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !this.dialect.isRetryable(error)) throw error;
      }
    }
  }

  private async runTransaction<T>(
    work: (tx: SqlExecutor) => Promise<T>,
    options: TransactionOptions,
  ): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    const committed: (() => void)[] = [];
    const batch = this.dialect.name === 'mysql' ? new StatementBatch(runner, options) : null;
    const tx = batch ? batch.executor(this.dialect, committed) : this.sqliteExecutor(runner, committed);
    try {
      if (!batch) await runner.startTransaction();
      const result = await work(tx);
      if (batch) await batch.commit();
      else await runner.commitTransaction();
      noteCommittedWrite();
      for (const callback of committed) callback();
      return result;
    } catch (error) {
      if (batch) await batch.rollback();
      else if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** A SQLite transaction's executor: one statement at a time on its one connection. */
  private sqliteExecutor(runner: QueryRunner, committed: (() => void)[]): SqlExecutor {
    const dialect = this.dialect;
    return {
      dialect,
      inTransaction: true,
      query: async <R>(sql: string, params: readonly unknown[] = []) =>
        (await runner.query(sql, [...params])) as R[],
      execute: (sql, params = []) => executeOn(runner, dialect, sql, params),
      executeLater: async (sql, params = []) => {
        await executeOn(runner, dialect, sql, params);
      },
      queryLater: <R>(sql: string, params: readonly unknown[] = []) =>
        readOnDemand(async () => (await runner.query(sql, [...params])) as R[]),
      afterCommit: (callback) => committed.push(callback),
    };
  }
}

interface Statement {
  sql: string;
  params: readonly unknown[];
  /** Settles the answer of a `queryLater` read with the statement's result. */
  answer?: { resolve(result: unknown): void; reject(error: unknown): void };
}

/**
 * A MySQL transaction whose statements that need no answer now — opening the transaction, writes
 * run with `executeLater`, reads run with `queryLater` — wait and travel with the next statement,
 * or with the COMMIT, as one multi-statement query: one round trip to the server instead of one
 * each. The server runs them in order and stops at the first that fails, whose error that query
 * then throws (and the waiting reads' answers with it).
 */
class StatementBatch {
  private readonly waiting: Statement[] = [];
  /** The characters of SQL and text values waiting: the query they make must fit the server's packet. */
  private waitingLength = 0;
  /** Whether START TRANSACTION has been sent (the server may have opened the transaction). */
  private opened = false;

  constructor(
    private readonly runner: QueryRunner,
    options: TransactionOptions,
  ) {
    if (options.isolation)
      this.waiting.push({ sql: `SET TRANSACTION ISOLATION LEVEL ${options.isolation}`, params: [] });
    this.waiting.push({ sql: 'START TRANSACTION', params: [] });
  }

  executor(dialect: Dialect, committed: (() => void)[]): SqlExecutor {
    return {
      dialect,
      inTransaction: true,
      query: async <R>(sql: string, params: readonly unknown[] = []) => (await this.send(sql, params)) as R[],
      execute: async (sql, params = []) => {
        const raw = (await this.send(sql, params)) as { affectedRows?: number };
        return { affected: raw.affectedRows ?? 0, insertId: dialect.insertId(raw) };
      },
      executeLater: async (sql, params = []) => {
        this.wait({ sql, params });
        // Many rows at once (a bulk create's audit and outbox rows) go as they pile up, well
        // within the smallest max_allowed_packet a server is configured with (4 MB).
        if (this.waitingLength > MAX_WAITING_CHARS) await this.sendWaiting();
      },
      queryLater: <R>(sql: string, params: readonly unknown[] = []) => this.readLater<R>(sql, params),
      afterCommit: (callback) => committed.push(callback),
    };
  }

  private wait(statement: Statement): void {
    this.waiting.push(statement);
    this.waitingLength +=
      statement.sql.length + statement.params.reduce<number>((sum, value) => sum + textLength(value), 0);
  }

  private readLater<R>(sql: string, params: readonly unknown[]): PendingRead<R> {
    let settle!: Statement['answer'];
    const answer = new Promise<R[]>((resolve, reject) => {
      settle = { resolve: (result) => resolve(result as R[]), reject };
    });
    // A failure is thrown by the query the read travelled with; `rows()` throws it again if asked.
    answer.catch(() => undefined);
    const statement: Statement = { sql, params, answer: settle };
    this.wait(statement);
    return {
      rows: async () => {
        if (this.waiting.includes(statement)) await this.sendWaiting();
        return answer;
      },
    };
  }

  commit(): Promise<unknown> {
    return this.send('COMMIT', []);
  }

  async rollback(): Promise<void> {
    if (this.opened) await this.runner.query('ROLLBACK');
  }

  /** Runs `sql` after the waiting statements, in one query; the result is `sql`'s own. */
  private async send(sql: string, params: readonly unknown[]): Promise<unknown> {
    if (this.waiting.length === 0) return this.runner.query(sql, [...params]);
    this.waiting.push({ sql, params });
    const results = await this.sendWaiting();
    return results[results.length - 1];
  }

  /** Sends every waiting statement in one query; returns their results in order. */
  private async sendWaiting(): Promise<unknown[]> {
    const statements = this.waiting.splice(0);
    this.waitingLength = 0;
    this.opened = true;
    let results: unknown[];
    try {
      const result: unknown = await this.runner.query(
        statements.map((statement) => statement.sql).join(';\n'),
        statements.flatMap((statement) => statement.params),
      );
      results = statements.length === 1 ? [result] : (result as unknown[]);
    } catch (error) {
      for (const statement of statements) statement.answer?.reject(error);
      throw error;
    }
    statements.forEach((statement, i) => statement.answer?.resolve(results[i]));
    return results;
  }
}

/** At most this many characters of statements wait for the next query: 256 Ki, under 2 MB as escaped UTF-8. */
const MAX_WAITING_CHARS = 1 << 18;

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  return Buffer.isBuffer(value) ? value.length : 8;
}

async function executeOn(
  runner: QueryRunner,
  dialect: Dialect,
  sql: string,
  params: readonly unknown[],
): Promise<ExecuteResult> {
  const result = await runner.query(sql, [...params], true);
  return { affected: result.affected ?? 0, insertId: dialect.insertId(result.raw) };
}
