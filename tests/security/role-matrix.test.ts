/**
 * Every shipped role × every entity at its own path × every action (list, get, create, update,
 * delete, export, import, each workflow action) through the real server with the demo plant, on
 * SQLite and MariaDB. The expected outcome comes from the role YAML files (RoleOracle), never from
 * the engine's permission code. Routes outside the entity API (plugin, extension-field and webhook
 * administration, ABC analysis, trace) are called by every role too.
 */
import { DIALECTS, startMatrixServer, type MatrixServer } from './matrix-server';
import {
  agrees,
  buildCells,
  judge,
  platformCells,
  prepareFixtures,
  routedEntities,
  sendCells,
  type Outcome,
} from './role-matrix';
import { RoleOracle } from './role-oracle';

const oracle = new RoleOracle();
const roles = oracle.roleNames();

describe.each(DIALECTS)('role matrix on %s', (dialect) => {
  let ms: MatrixServer;
  let outcomes: Outcome[] = [];

  beforeAll(async () => {
    const started = Date.now();
    ms = await startMatrixServer(dialect, 'role_matrix', roles);
    const model = ms.server.registry.current();
    const fixtures = await prepareFixtures(ms, model, routedEntities(model), roles);
    const ready = Date.now();
    const cells = [...buildCells(model, fixtures, roles), ...platformCells(roles)];
    outcomes = judge(oracle, cells, await sendCells(ms, cells));
    const statuses: Record<string, number> = {};
    for (const o of outcomes)
      statuses[`${o.expected} ${o.status}`] = (statuses[`${o.expected} ${o.status}`] ?? 0) + 1;
    console.log(
      `role matrix on ${dialect}: server and fixtures ${ready - started} ms, ` +
        `${outcomes.length} requests ${Date.now() - ready} ms; answers ${JSON.stringify(statuses)}`,
    );
  }, 600_000);
  afterAll(() => ms?.stop());

  it('covers every routed entity, every workflow action and every role, allowed and denied', () => {
    const model = ms.server.registry.current();
    const covered = new Set(outcomes.map((o) => o.entity));
    expect([...covered].sort()).toEqual([...routedEntities(model).map((e) => e.name), 'platform'].sort());
    const actions = new Set(outcomes.map((o) => `${o.entity}:${o.action}`));
    for (const workflow of model.workflows.values())
      if (!model.entities.get(workflow.entity)!.owned)
        for (const transition of workflow.transitions)
          expect(actions).toContain(`${workflow.entity}:${transition.action}`);
    for (const role of roles.filter((r) => r !== 'admin')) {
      const mine = outcomes.filter((o) => o.role === role);
      expect(mine.some((o) => o.expected === 'allowed')).toBe(true);
      expect(mine.some((o) => o.expected === 'denied')).toBe(true);
    }
  });

  it.each(roles)('%s: the server allows exactly what the role documents grant', (role) => {
    const mine = outcomes.filter((o) => o.role === role);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.filter((o) => !agrees(o))).toEqual([]);
  });
});
