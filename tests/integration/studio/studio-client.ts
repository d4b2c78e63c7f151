/**
 * The studio's HTTP round trip as the suites drive it: the analyst drafts and submits a change set,
 * the reviewer publishes it.
 */
import type { Reply, SecurityServer } from '../security/security-server';

export interface ChangeSet {
  id: number;
  version: number;
  csNo: string;
  status: string;
}

/** The `data` of a successful reply; any other reply fails the test with its status and body. */
export function dataOf<T>(reply: Reply): T {
  if (reply.statusCode >= 300) throw new Error(`${reply.statusCode}: ${reply.body}`);
  return reply.json().data as T;
}

/** Change-set calls on the suite's server (read when called, since suites start it in beforeAll). */
export function studioClient(server: () => SecurityServer) {
  return {
    draft: async (title: string, content: unknown): Promise<ChangeSet> =>
      dataOf<ChangeSet>(
        await server().call('analyst', 'POST', '/api/studio/change-sets', { title, content }),
      ),
    submit: async (changeSet: ChangeSet): Promise<ChangeSet> =>
      dataOf<{ record: ChangeSet }>(
        await server().call('analyst', 'POST', `/api/studio/change-sets/${changeSet.id}/actions/submit`, {
          version: changeSet.version,
        }),
      ).record,
    publish: (changeSet: ChangeSet, as = 'reviewer'): Promise<Reply> =>
      server().call(as, 'POST', `/api/studio/change-sets/${changeSet.id}/publish`, {
        version: changeSet.version,
      }),
  };
}
