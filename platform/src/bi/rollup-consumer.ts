/**
 * Keeps the rollups up to date: every event about a row of a rolled-up entity brings that row's
 * contribution up to date, in the transaction that claims the event (exactly once per event), and
 * `prepareRollups` creates missing rollup tables and fills a new rollup from the rows.
 */
import type { Model } from '../../../metadata/src/model';
import type { EngineDatabase } from '../data/database';
import type { EventConsumer } from '../events/consumer';
import { RollupStore } from './rollup-store';
import { rollupsOf } from './rollups';

export const ROLLUP_CONSUMER = 'bi.rollups';

export function rollupConsumer(model: () => Model): EventConsumer {
  const sources = new Set(rollupsOf(model()).map((rollup) => rollup.source.name));
  const types = [...sources].flatMap((name) => {
    const entity = model().entities.get(name)!;
    return [...new Set([...Object.values(entity.events), `${name}.*`])];
  });
  return {
    name: ROLLUP_CONSUMER,
    types,
    async handle(event, tx) {
      if (!event.entity || !event.entityId || !/^\d+$/.test(event.entityId)) return;
      for (const rollup of rollupsOf(model()))
        if (rollup.source.name === event.entity)
          await new RollupStore(rollup).apply(tx, event.tenant, Number(event.entityId));
    },
  };
}

/**
 * Creates the rollup tables; a rollup without any ledger row while its entity has rows, or without
 * daily cells while it has hourly ones (built by an earlier version), is rebuilt.
 */
export async function prepareRollups(db: EngineDatabase, model: Model): Promise<void> {
  const exec = db.executor();
  for (const rollup of rollupsOf(model)) {
    const store = new RollupStore(rollup);
    await store.ensureTables(exec);
    if (await store.isEmpty(exec)) await store.rebuild(db, null);
  }
}

/** Recomputes every rollup (of one tenant, or all) from the rows; what `mes bi rebuild` runs. */
export async function rebuildRollups(
  db: EngineDatabase,
  model: Model,
  tenantId: string | null,
): Promise<{ rollup: string; rows: number; cells: number; days: number }[]> {
  const results = [];
  for (const rollup of rollupsOf(model))
    results.push({ rollup: rollup.name, ...(await new RollupStore(rollup).rebuild(db, tenantId)) });
  return results;
}
