/**
 * Boots the real server (startServer) on a fresh SQLite file with the fixture metadata, without
 * listening: tests drive it through Fastify's inject. The fixture's tables are created from its
 * Model the way a generated migration would (snapshot diff applied through the QueryRunner API).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { diffSnapshots } from '../../../metadata/src/model/schema-diff';
import { emptySnapshot, toSnapshot } from '../../../metadata/src/model/snapshot';
import type { Model } from '../../../metadata/src/model';
import { startServer, type RunningServer } from '../../../platform/src/bootstrap/start-server';
import { applySchemaChanges } from '../../../platform/src/data/migrations/apply-schema';

export const FIXTURE_METADATA = join(__dirname, '..', '..', 'fixtures', 'server', 'metadata');

export interface TestServer {
  server: RunningServer;
  /** Every JSON log line written so far. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function createSchema(dataSource: DataSource, model: Model): Promise<void> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    await applySchemaChanges(queryRunner, diffSnapshots(emptySnapshot(), toSnapshot(model)));
  } finally {
    await queryRunner.release();
  }
}

/** `listen`: bind a real port (tests of the network path); default inject-only. */
export async function startTestServer(env: Record<string, string> = {}, listen = false): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mes-server-'));
  const logs: Record<string, unknown>[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const server = await startServer({
    env: {
      DATABASE_URL: `sqlite:${join(dir, 'mes.sqlite')}`,
      SEED_DEMO: 'false',
      MES_AUTH: 'off',
      LOG_LEVEL: 'info',
      BODY_LIMIT: '65536',
      ...env,
    },
    metadataRoots: [FIXTURE_METADATA],
    listen,
    logDestination,
    prepareSchema: createSchema,
  });
  return {
    server,
    logs,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
