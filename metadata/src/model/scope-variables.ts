/**
 * The caller variables a role's data-scope filter may compare fields with
 * (`filter: "assignee == $user or line in $lines"`). The validator accepts exactly these and the
 * row-scope compiler (platform/src/security/authorization/expression-filter.ts) resolves them.
 */
export const SCOPE_VARIABLES = {
  $user: "the caller's user id",
  '$user.supplier': 'the supplier an external user belongs to',
  $departments: "the caller's department",
  $department_tree: "the caller's department and every department below it",
  $lines: 'the production lines the caller works on',
  $plants: 'the plants the caller belongs to',
} as const;

export type ScopeVariable = keyof typeof SCOPE_VARIABLES;

export function isScopeVariable(name: string): name is ScopeVariable {
  return Object.hasOwn(SCOPE_VARIABLES, name);
}
