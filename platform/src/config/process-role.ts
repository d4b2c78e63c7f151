/**
 * What a process of the cluster does (MES_ROLE):
 * - `all` (default): serves the API and runs the background work — one process is a whole server.
 * - `api`: serves the API only; event consumers, plugin subscribers and jobs and the background tasks
 *   run in a `mes worker` process, so API instances can be added, drained and restarted freely.
 * - `worker`: runs the background work and answers only `/health` and `/health/ready` (`mes worker`).
 */
export type ProcessRole = 'all' | 'api' | 'worker';

const ROLES: readonly ProcessRole[] = ['all', 'api', 'worker'];

export function processRole(env: NodeJS.ProcessEnv): ProcessRole {
  const raw = env.MES_ROLE?.trim().toLowerCase() || 'all';
  if (!ROLES.includes(raw as ProcessRole))
    throw new Error(`MES_ROLE must be one of ${ROLES.join(', ')}; got '${env.MES_ROLE}'`);
  return raw as ProcessRole;
}

/** Whether the role consumes events and runs scheduled and background work. */
export function runsBackgroundWork(role: ProcessRole): boolean {
  return role !== 'api';
}
