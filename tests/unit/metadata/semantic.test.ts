import { located, validateCase } from './fixtures';

/**
 * Each case folder holds documents that break semantic rules; validated beside the clean base
 * fixture, it must produce exactly these diagnostics (all of them, in one run) at these positions.
 */
const EXPECTED: Record<string, string[]> = {
  'entity-refs': [
    'entity-refs/bad-refs.yaml:3:9 unknown-module module `shopp` does not exist',
    'entity-refs/bad-refs.yaml:4:10 display-field entity `bad_refs` has no field `title`',
    'entity-refs/bad-refs.yaml:5:14 business-key entity `bad_refs` has no field `nope`',
    'entity-refs/bad-refs.yaml:7:76 field-permission permission `item:fly` does not exist: no action `fly` on `item`',
    'entity-refs/bad-refs.yaml:8:31 relation-target relation `item` points to unknown entity `itme`',
    'entity-refs/bad-refs.yaml:9:51 relation-display entity `item` has no field `nmae`',
    'entity-refs/bad-refs.yaml:10:27 relation-target many `tags` points to unknown entity `nothing`',
    'entity-refs/bad-refs.yaml:11:61 children-foreign-key `order_line.seq` must be a relation to `bad_refs`',
    'entity-refs/bad-refs.yaml:12:58 children-foreign-key entity `order_line` has no field `missing`',
    'entity-refs/bad-refs.yaml:12:76 children-order entity `order_line` has no field `nope`',
    'entity-refs/bad-refs.yaml:13:53 field-default default `MAYBE` is not one of the enum values',
    'entity-refs/bad-refs.yaml:14:46 expression-syntax invalid expression `status ==`: unexpected end of expression at column 10',
    'entity-refs/bad-refs.yaml:14:64 expression-field expression `nope > 1` reads `nope`: entity `bad_refs` has no field `nope`',
    "entity-refs/bad-refs.yaml:15:41 expression-syntax invalid expression `eval(code)`: unknown function 'eval' (allowed: now, today, len, lower, upper, contains, startsWith, if, addDays, addHours, coalesce, min, max, round, floor, ceil) at column 1",
    'entity-refs/bad-refs.yaml:17:22 index-field entity `bad_refs` has no field `nope`',
    'entity-refs/bad-refs.yaml:19:19 view-field entity `item` has no field `nmae`',
    'entity-refs/bad-refs.yaml:19:35 view-field `code` in `code.length` is not a relation, so `.length` cannot follow it',
    'entity-refs/bad-refs.yaml:20:13 view-field entity `bad_refs` has no field `nope`',
    'entity-refs/bad-refs.yaml:21:12 view-field entity `bad_refs` has no field `nope`',
    'entity-refs/bad-refs.yaml:22:16 view-field entity `bad_refs` has no field `nope`',
    'entity-refs/bad-refs.yaml:23:11 view-field kanban field `code` must be an enum, not string',
    'entity-refs/bad-refs.yaml:24:22 view-field schedule start field `code` must be date or datetime, not string',
    'entity-refs/bad-refs.yaml:24:34 view-field entity `bad_refs` has no field `nope`',
    'entity-refs/bad-refs.yaml:24:50 view-field schedule calendar `main_item.name` must be a path through the lane field',
    'entity-refs/bad-refs.yaml:25:7 entity-form form `missing_form` does not exist',
    'entity-refs/bad-refs.yaml:26:11 entity-workflow workflow `shop_order_flow` drives `shop_order`, not `bad_refs`',
  ],
  'sensitive-fields': [
    'sensitive-fields/secrets.yaml:7:36 sensitive-field sensitive field `pin` is of type integer; only string and text fields can hold ciphertext',
    'sensitive-fields/secrets.yaml:8:51 sensitive-field sensitive field `badge` cannot be unique: its ciphertext differs for equal values',
    'sensitive-fields/secrets.yaml:8:64 sensitive-field sensitive field `badge` cannot be indexed: its ciphertext is not comparable',
    'sensitive-fields/secrets.yaml:12:13 sensitive-field sensitive field `phone` cannot be filtered, searched or sorted on: it is stored encrypted',
    'sensitive-fields/secrets.yaml:13:18 sensitive-field sensitive field `badge` cannot be filtered, searched or sorted on: it is stored encrypted',
    'sensitive-fields/secrets.yaml:14:16 sensitive-field sensitive field `phone` cannot be filtered, searched or sorted on: it is stored encrypted',
  ],
  'system-columns': [
    'system-columns/shadowing.yaml:7:12 system-column field `version` collides with the system column `version` (API name `version`)',
    'system-columns/shadowing.yaml:8:9 system-column field `note` is stored in column `deleted_at`, which is a system column',
    'system-columns/shadowing.yaml:9:11 system-column field `tenant` is stored in column `tenant_id`, which is a system column',
  ],
  identifiers: [
    'identifiers/bad-width.yaml:5:37 identifier-pattern `{seq:x}` must be `{seq:N}` with a width N from 1 to 12',
    'identifiers/identifiers.yaml:5:22 identifier-field entity `ident_a` has no field `nope`',
    'identifiers/identifiers.yaml:5:37 identifier-pattern entity `line` has no field `nope`',
    'identifiers/identifiers.yaml:5:37 identifier-pattern identifier pattern `A-{line.nope}-{seq:4}-{seq:2}` must contain exactly one `{seq:N}`, found 2',
    'identifiers/no-seq.yaml:5:37 identifier-pattern `code` in `code.x` is not a relation, so `.x` cannot follow it',
    'identifiers/no-seq.yaml:5:37 identifier-pattern identifier pattern `B-{YYYY}-{code.x}` must contain exactly one `{seq:N}`, found 0',
    'identifiers/unbalanced.yaml:5:37 identifier-pattern unbalanced braces in identifier pattern `C-{seq:4`',
  ],
  renames: [
    'renames/renames.yaml:4:14 renamed-from entity `renamed_item` is renamed from `item`, which still exists',
    'renames/renames.yaml:7:35 renamed-from field `renamed_item.a` is renamed from `b`, which still exists',
    'renames/renames.yaml:9:35 renamed-from field `renamed_item.c` is renamed from itself',
    'renames/twice-b.yaml:4:14 renamed-from `legacy` is already renamed to `heir_one` (tests/fixtures/metadata/renames/twice-a.yaml:4:1)',
  ],
  duplicates: [
    'base/metadata/modules/shop/entities/item.yaml:1:9 duplicate-name entity `item` is also declared in tests/fixtures/metadata/duplicates/plugins/dupe/metadata/entities/item.yaml:1:1 (plugin dupe)',
    'base/metadata/modules/shop/entities/line.yaml:4:8 duplicate-table table `prod_line` is also declared in tests/fixtures/metadata/duplicates/plugins/dupe/metadata/entities/other-line.yaml:4:1 (plugin dupe)',
    'base/metadata/modules/shop/entities/shop-order.yaml:1:9 duplicate-path API path `/api/shop-orders` is also declared in tests/fixtures/metadata/duplicates/plugins/dupe/metadata/entities/other-line.yaml:5:15 (plugin dupe)',
    'duplicates/plugins/dupe/metadata/entities/item.yaml:1:9 duplicate-name entity `item` is also declared in tests/fixtures/metadata/base/metadata/modules/shop/entities/item.yaml:1:1 (core)',
    'duplicates/plugins/dupe/metadata/entities/other-line.yaml:4:8 duplicate-table table `prod_line` is also declared in tests/fixtures/metadata/base/metadata/modules/shop/entities/line.yaml:4:1 (core)',
    'duplicates/plugins/dupe/metadata/entities/other-line.yaml:5:15 duplicate-path API path `/api/shop-orders` is also declared in tests/fixtures/metadata/base/metadata/modules/shop/entities/shop-order.yaml:1:1 (core)',
  ],
  forms: [
    'forms/both-layouts.yaml:1:1 form-layout form `bad_form` must declare either `sections` or `tabs`, not both',
    'forms/both-layouts.yaml:4:24 form-field entity `shop_order` has no field `nope`',
    'forms/both-layouts.yaml:4:39 form-field entity `shop_order` has no field `nop2`',
    'forms/both-layouts.yaml:4:59 expression-field expression `nope3 == 1` reads `nope3`: entity `shop_order` has no field `nope3`',
    'forms/both-layouts.yaml:5:30 expression-syntax invalid expression `status in [`: unexpected end of expression at column 12',
    'forms/both-layouts.yaml:11:3 form-field entity `shop_order` has no field `nope4`',
    "forms/both-layouts.yaml:12:28 expression-field expression `item.nope5 == 'X'` reads `item.nope5`: entity `item` has no field `nope5`",
    'forms/orphan.yaml:1:1 form-layout form `orphan_form` must declare either `sections` or `tabs`',
    'forms/orphan.yaml:2:9 form-entity entity `nothing` does not exist',
  ],
  workflows: [
    'workflows/gate-flow.yaml:5:10 workflow-initial initial state `START` is not a state of this workflow',
    'workflows/gate-flow.yaml:6:1 workflow-states enum value `CLOSED` of `gate.status` has no state',
    'workflows/gate-flow.yaml:8:3 workflow-states state `SHUT` is not a value of `gate.status`',
    'workflows/gate-flow.yaml:10:13 workflow-unperformable no role may perform `close` of `gate_flow` (permission `gate:close`)',
    'workflows/gate-flow.yaml:12:12 transition-state `OPN` is not a state of this workflow',
    'workflows/gate-flow.yaml:13:9 transition-state `CLOSED` is not a state of this workflow',
    'workflows/gate-flow.yaml:14:13 unknown-role role `nobody` does not exist',
    "workflows/gate-flow.yaml:15:20 expression-syntax invalid expression `status = 1`: unexpected character '=' (compare with '==') at column 8",
    'workflows/gate-flow.yaml:16:22 workflow-field entity `gate` has no field `nope`',
    'workflows/gate-flow.yaml:17:12 workflow-field entity `gate` has no field `nope2`',
    'workflows/gate-flow.yaml:17:28 workflow-field unknown variable `$tomorrow`',
    'workflows/gate-flow.yaml:18:59 expression-field expression `code.x > 1` reads `code.x`: `code` in `code.x` is not a relation, so `.x` cannot follow it',
    'workflows/no-status.yaml:2:9 workflow-state-field entity `line` has no state field `status`',
    'workflows/no-status.yaml:9:15 workflow-unperformable no role may perform `stay` of `line_flow` (permission `line:stay`)',
    'workflows/other-flows.yaml:2:9 workflow-entity entity `ghost` does not exist',
    'workflows/other-flows.yaml:9:15 workflow-unperformable no role may perform `stay` of `ghost_flow` (permission `ghost:stay`)',
    'workflows/string-state.yaml:3:8 workflow-state-field state field `item.name` must be an enum, not string',
    'workflows/string-state.yaml:10:15 workflow-unperformable no role may perform `stay` of `named_flow` (permission `item:stay`)',
  ],
  security: [
    'security/loop-a.yaml:4:11 role-inherits role `loop_a` inherits itself through its parents',
    'security/loop-b.yaml:4:11 role-inherits role `loop_b` inherits itself through its parents',
    'security/menu.yaml:5:47 menu-entity entity `nothing` does not exist',
    'security/menu.yaml:6:62 menu-permission permission `item:fly` does not exist: no action `fly` on `item`',
    'security/menu.yaml:7:11 menu-item menu item `c` opens nothing: give it an entity, a route or children',
    'security/menu.yaml:8:11 menu-item menu item id `a` is used twice in this menu',
    'security/roles.yaml:3:15 role-permission permission `shop_order:fly` does not exist: no action `fly` on `shop_order`',
    'security/roles.yaml:3:31 role-permission permission `nothing:read` does not exist: no entity or permission area `nothing`',
    'security/roles.yaml:3:57 role-permission permission `*:teleport` does not exist: no action `teleport` on `*`',
    'security/roles.yaml:5:3 role-field entity `nothing` does not exist',
    'security/roles.yaml:6:20 role-field entity `item` has no field `nope`',
    'security/roles.yaml:8:3 role-scope entity `nothing` does not exist',
    'security/roles.yaml:9:20 expression-field expression `nope == 1` reads `nope`: entity `item` has no field `nope`',
    'security/roles.yaml:10:27 expression-syntax invalid expression `a ==`: unexpected end of expression at column 5',
    'security/roles.yaml:11:12 role-inherits role `ghost` does not exist',
  ],
  dashboards: [
    'dashboards/bad.yaml:4:9 unknown-role role `ghost` does not exist',
    'dashboards/bad.yaml:6:61 dashboard-entity entity `nothing` does not exist',
    'dashboards/bad.yaml:7:99 dashboard-field entity `shop_order` has no field `nope`',
    'dashboards/bad.yaml:7:116 dashboard-field entity `item` has no field `nope`',
    'dashboards/bad.yaml:8:11 dashboard-widget widget id `w2` is used twice',
    'dashboards/bad.yaml:8:84 dashboard-field entity `shop_order` has no field `nope`',
    "dashboards/bad.yaml:8:107 expression-syntax invalid expression `(status`: expected ')', found end of expression at column 8",
    'dashboards/bad.yaml:8:128 dashboard-field entity `shop_order` has no field `nope`',
    'dashboards/bad.yaml:9:82 dashboard-field measure `avg` needs a `field`',
    'dashboards/bad.yaml:9:101 expression-field expression `nope > 0` reads `nope`: entity `shop_order` has no field `nope`',
    'dashboards/bad.yaml:10:58 dashboard-widget KPI `missing_kpi` is not declared',
    'dashboards/bad.yaml:12:156 dashboard-field measure `ghost` is not declared by the KPI',
    'dashboards/bad.yaml:13:12 dashboard-field a KPI has either `numerator` and `denominator`, or `value`, or `ageing`, or `oee`',
    'dashboards/bad.yaml:13:122 expression-field expression `nope == 1` reads `nope`: entity `shop_order` has no field `nope`',
    'dashboards/bad.yaml:14:119 dashboard-field entity `shop_order` has no field `qty`',
    'dashboards/bad.yaml:14:131 dashboard-field entity `shop_order` has no field `nope`',
    'dashboards/bad.yaml:14:146 dashboard-field an OEE KPI needs `time` and `line` dimensions for its output and its downtime, and a `line` dimension for its states',
    'dashboards/bad.yaml:14:199 dashboard-field measure `lost` is not declared by the KPI',
    'dashboards/bad.yaml:14:226 dashboard-entity entity `stoppage` does not exist',
  ],
  'business-rules': [
    "business-rules/bad-schedule.yaml:5:32 rule-trigger invalid cron expression: CronPattern: invalid configuration format ('not a cron'), exactly five, six, or seven space separated parts are required.",
    'business-rules/bad-timer.yaml:5:51 rule-trigger `quantity` is not a date or datetime field of `shop_order`',
    'business-rules/bad-timer.yaml:5:61 rule-trigger `cron` does not apply to the `timer` trigger',
    'business-rules/bad-timer.yaml:7:69 rule-field entity `item` has no field `nope`',
    'business-rules/bad-timer.yaml:7:94 rule-field entity `item` has no field `missing`',
    'business-rules/bad-timer.yaml:10:23 unknown-role role `quality` does not exist',
    'business-rules/bad.yaml:5:36 rule-trigger workflow `shop_order_flow` has no action `teleport`',
    'business-rules/bad.yaml:6:8 expression-field expression `nope > 1` reads `nope`: entity `shop_order` has no field `nope`',
    'business-rules/bad.yaml:8:13 rule-action `refuse` needs a record trigger (created, updated, changed, transition) and only `set`/`refuse` actions on the record, so the rule runs inside the write',
    'business-rules/bad.yaml:9:17 rule-action workflow `shop_order_flow` has no action `fly`',
    'business-rules/bad.yaml:10:19 rule-action entity `shop_order` has no field `ghost`',
    'business-rules/bad.yaml:10:32 rule-action unknown variable `$tomorrow`',
    'business-rules/bad.yaml:11:23 rule-field entity `line` has no field `nobody`',
    'business-rules/bad.yaml:12:17 rule-action `no_timer` is not a timer rule of `shop_order`',
    'business-rules/bad.yaml:13:13 rule-entity entity `nothing` does not exist',
    'business-rules/ghost.yaml:4:9 rule-entity entity `ghost_entity` does not exist',
  ],
  plugins: [
    'plugins/metadata/modules/extra/module.yaml:3:19 unknown-module module `ghost_module` does not exist',
    'plugins/plugins/badplug/plugin.yaml:1:9 plugin-name plugin `other_name` lives in folder `badplug`',
    'plugins/plugins/badplug/plugin.yaml:2:10 plugin-version `1.0` is not a semantic version',
    'plugins/plugins/badplug/plugin.yaml:4:9 plugin-engine `not a range!` is not a semver range',
    'plugins/plugins/badplug/plugin.yaml:6:17 plugin-dependency plugin `ghost_plugin` does not exist',
    'plugins/plugins/badplug/plugin.yaml:6:48 plugin-dependency `=>>1` is not a semver range',
  ],
};

describe('semantic checks', () => {
  it.each(Object.keys(EXPECTED))('reports every problem of the %s fixture at its file:line:col', (name) => {
    const { diagnostics } = validateCase(name);
    expect(diagnostics.map(located)).toEqual(EXPECTED[name]);
    // Only a transition no role may perform is a warning; everything else fails validation.
    for (const diagnostic of diagnostics)
      expect(diagnostic.severity).toBe(diagnostic.rule === 'workflow-unperformable' ? 'warning' : 'error');
  });

  it('points each pointer-located diagnostic at a JSON path', () => {
    const { diagnostics } = validateCase('workflows');
    expect(diagnostics.map((diagnostic) => diagnostic.path)).toContain('/transitions/0/from/0');
    expect(diagnostics.map((diagnostic) => diagnostic.path)).toContain('/states/SHUT');
  });
});
