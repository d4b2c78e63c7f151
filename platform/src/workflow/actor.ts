/**
 * Who fires a transition, as far as the workflow engine needs to know: their id, their role codes
 * and a permission test. The security layer's principal is adapted to this shape at the edge.
 */
export interface WorkflowActor {
  userId: string;
  /** The engine acting for no user (a scheduled check): `$user` in field updates is then null. */
  engine?: boolean;
  roles: readonly string[];
  hasPermission(permission: string): boolean;
}

/** Whether the actor holds the role or the permission named by `grant` (approver lists mix both). */
export function holdsGrant(actor: WorkflowActor, grant: string): boolean {
  return actor.roles.includes(grant) || actor.hasPermission(grant);
}
