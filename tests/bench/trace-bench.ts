/**
 * Reverse and forward trace over a generated genealogy of 1,000,000 edges in 10 levels on MariaDB.
 * Level 0 holds serials, levels 1–10 lots; every node of level L has f(L) inputs on level L+1,
 * scattered by a multiplicative hash so inputs are shared (diamonds) the way component lots are.
 * With fan-ins 3,2,2,2,2,2,1,1,1,1 a serial's reverse trace reaches about 570 nodes.
 * Run: npm run bench:trace  (TEST_MYSQL_URL selects the server; default root@127.0.0.1:3306).
 */
import { nodeKey } from '../../platform/src/trace/genealogy';
import { traceGenealogy, type TraceDirection } from '../../platform/src/trace/trace-query';
import type { EngineDatabase } from '../../platform/src/data/database';
import { openBenchDatabase, percentile, round } from './bench-database';

const TARGET_EDGES = 1_000_000;
const FAN_IN = [3, 2, 2, 2, 2, 2, 1, 1, 1, 1];
const NODES_PER_LEVEL = Math.ceil(TARGET_EDGES / FAN_IN.reduce((sum, f) => sum + f, 0));
const SCATTER = 7919;
const INSERT_BATCH = 4000;
const SAMPLES = 300;
const WARMUP = 30;
const TENANT = 'bench';

function keyOf(level: number, index: number): string {
  return level === 0 ? nodeKey('SN', `S${index}`) : nodeKey('LOT', `L${level}-${index}`);
}

async function generate(db: EngineDatabase): Promise<number> {
  let edges = 0;
  let batch: unknown[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch.length / 4;
    await db
      .executor()
      .execute(
        `INSERT INTO trace_genealogy (tenant_id, from_key, to_key, relation, occurred_at) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, '2026-11-25 00:00:00')").join(', ')}`,
        batch,
      );
    batch = [];
  };
  for (let level = 0; level < FAN_IN.length; level++) {
    const fanIn = FAN_IN[level]!;
    for (let index = 0; index < NODES_PER_LEVEL; index++) {
      for (let input = 0; input < fanIn; input++) {
        const parent = ((index * fanIn + input) * SCATTER) % NODES_PER_LEVEL;
        batch.push(
          TENANT,
          keyOf(level + 1, parent),
          keyOf(level, index),
          level === 0 ? 'PRODUCED' : 'CONSUMED',
        );
        edges++;
        if (batch.length >= INSERT_BATCH * 4) await flush();
      }
    }
  }
  await flush();
  return edges;
}

async function measure(db: EngineDatabase, direction: TraceDirection, level: number) {
  const times: number[] = [];
  const sizes: number[] = [];
  for (let run = 0; run < WARMUP + SAMPLES; run++) {
    const start = keyOf(level, (run * 104729) % NODES_PER_LEVEL);
    const began = process.hrtime.bigint();
    const graph = await traceGenealogy(db.executor(), { tenant: TENANT, start, direction, maxDepth: 10 });
    const elapsed = Number(process.hrtime.bigint() - began) / 1e6;
    if (run >= WARMUP) {
      times.push(elapsed);
      sizes.push(graph.nodes.length);
    }
  }
  times.sort((a, b) => a - b);
  sizes.sort((a, b) => a - b);
  return {
    direction,
    samples: SAMPLES,
    medianNodes: percentile(sizes, 0.5),
    p50ms: round(percentile(times, 0.5), 2),
    p99ms: round(percentile(times, 0.99), 2),
    maxMs: round(times[times.length - 1]!, 2),
  };
}

async function main(): Promise<void> {
  const { db, drop } = await openBenchDatabase(`mes_bench_trace_${process.pid}`, 4);
  try {
    const began = Date.now();
    const edges = await generate(db);
    console.log(
      `generated ${edges} edges over ${FAN_IN.length} levels in ${round((Date.now() - began) / 1000)} s`,
    );
    // Right after a bulk load the table statistics may still describe an empty table, and the
    // first recursive query then joins by scanning the million edges per step (over a minute).
    await db.executor().query('ANALYZE TABLE trace_genealogy');
    const results = [await measure(db, 'reverse', 0), await measure(db, 'forward', FAN_IN.length)];
    console.table(results);
    console.log(JSON.stringify({ bench: 'trace', edges, results }));
  } finally {
    await drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
