import { checkBusinessRules } from './business-rules';
import type { SemanticContext } from './context';
import { checkDashboards } from './dashboards';
import { checkEntities } from './entities';
import { checkForms } from './forms';
import { checkIdentifiers } from './identifiers';
import { checkModules, checkPlugins } from './modules';
import { checkRenamedFrom } from './renames';
import { checkSecurity } from './security';
import { checkUniqueness } from './uniqueness';
import { checkWorkflows } from './workflows';

export { SemanticContext } from './context';

/** Every semantic check; each reports all it finds so one run lists every problem. */
const CHECKS: readonly ((ctx: SemanticContext) => void)[] = [
  checkUniqueness,
  checkModules,
  checkPlugins,
  checkEntities,
  checkIdentifiers,
  checkRenamedFrom,
  checkForms,
  checkWorkflows,
  checkSecurity,
  checkDashboards,
  checkBusinessRules,
];

export function runSemanticChecks(ctx: SemanticContext): void {
  for (const check of CHECKS) check(ctx);
}
