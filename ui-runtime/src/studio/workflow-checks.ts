/** Checks of a workflow draft the designer flags on the graph: unreachable states, dead ends, actions nobody can perform. */
export interface WorkflowDraft {
  initial: string;
  states: Record<string, { final?: boolean; label?: { en: string; zh: string } }>;
  transitions: { action: string; from: string[]; to: string; roles?: string[]; permission?: string }[];
}

export interface WorkflowFinding {
  kind: 'unreachable' | 'deadEnd' | 'nobody';
  /** The state or the transition action concerned. */
  subject: string;
}

/**
 * `granted(action, roles)` tells whether some role may perform the action (holds its permission,
 * and is among the transition's roles when it names any).
 */
export function workflowFindings(
  workflow: WorkflowDraft,
  granted: (permission: string, roles: readonly string[]) => boolean,
  entity: string,
): WorkflowFinding[] {
  const findings: WorkflowFinding[] = [];
  const reached = new Set<string>([workflow.initial]);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of workflow.transitions)
      if (t.from.some((s) => reached.has(s)) && !reached.has(t.to)) {
        reached.add(t.to);
        grew = true;
      }
  }
  for (const [state, def] of Object.entries(workflow.states)) {
    if (!reached.has(state)) findings.push({ kind: 'unreachable', subject: state });
    if (!def.final && !workflow.transitions.some((t) => t.from.includes(state)))
      findings.push({ kind: 'deadEnd', subject: state });
  }
  for (const t of workflow.transitions)
    if (!granted(t.permission ?? `${entity}:${t.action}`, t.roles ?? []))
      findings.push({ kind: 'nobody', subject: t.action });
  return findings;
}

/** Whether a permission code grants `required` (`*` wildcards on either side of the colon). */
export function permissionMatches(code: string, required: string): boolean {
  const [area, action] = code.split(':');
  const [needArea, needAction] = required.split(':');
  return (area === '*' || area === needArea) && (action === '*' || action === needAction);
}
