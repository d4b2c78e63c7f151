/**
 * Every rule the loader and the semantic checks enforce, with what it means. Schema errors carry
 * the JSON Schema keyword instead (`required`, `type`, `enum`, `additionalProperties`…).
 */
export const RULES = {
  'file-read': 'The file can be read.',
  'yaml-syntax': 'The file is well-formed YAML (or JSON) without duplicate keys.',
  'document-shape': 'The file holds one mapping.',
  'document-kind': 'The first key names a document kind.',
  'duplicate-name': 'A document name is unique per kind across core modules and plugins.',
  'duplicate-table': 'A table name is unique across core modules and plugins.',
  'duplicate-path': "An entity's API path and its former paths (`pathAliases`) are unique across entities.",
  'unknown-module': 'Modules named by entities, dashboards, menus, permissions and `dependsOn` exist.',
  'plugin-version': 'A plugin version is a semantic version.',
  'plugin-engine': 'A plugin engine is a valid semver range.',
  'plugin-dependency': 'Plugin dependencies exist and have valid semver ranges.',
  'plugin-name': 'A plugin is named after its folder.',
  'relation-target': 'Relation, children and many fields point to an existing entity.',
  'relation-display': 'A relation display field exists on the target.',
  'children-foreign-key': 'A children foreign key is a relation on the child back to the parent.',
  'children-order': 'A children orderBy field exists on the child.',
  'field-default': 'An enum default is one of its values.',
  'sensitive-field':
    'A sensitive field is a string or text, not unique or indexed, and not a list filter, search field or sort (its value is stored encrypted).',
  'system-column':
    'A field does not take the name, column or API name of a system column (id, tenant_id, created_at, created_by, updated_at, updated_by, version, deleted_at, ext).',
  'display-field': 'The display field exists.',
  'business-key': 'The business key field exists.',
  'index-field': 'Indexed fields exist.',
  'entity-form': "The entity's form exists and edits this entity.",
  'entity-workflow': "The entity's workflow exists and drives this entity.",
  'entity-evaluator':
    "An entity evaluated by an engine evaluator (`evaluatedBy`) has the evaluator's fields, of its types, and the entity the evaluator writes has a relation to it.",
  'view-field': 'List and view columns, filters, search and sorts exist (dot paths hop through relations).',
  'entity-recurrence':
    'A recurring entity (`recurrence`) names a string cron field, a datetime next-run field, string time zone and handler fields, and an enum active field with its values.',
  'identifier-field': 'The identifier field exists.',
  'identifier-pattern': 'Identifier tokens are dates, fields or relation paths, with exactly one `{seq:N}`.',
  'renamed-from': '`renamedFrom` names nothing current, and no old name is claimed twice.',
  'expression-syntax': 'Expressions parse.',
  'expression-field': 'Expressions read existing fields.',
  'form-layout': 'A form declares either sections or tabs.',
  'form-entity': "A form's entity exists.",
  'form-field': 'Form fields and overrides exist on the entity.',
  'workflow-entity': "A workflow's entity exists.",
  'workflow-state-field': 'The state field exists and is an enum.',
  'workflow-states': 'Workflow states equal the enum values of the state field.',
  'workflow-initial': 'The initial state is a state.',
  'transition-state': 'Transition from/to states are states.',
  'workflow-field': 'Required fields and field updates name existing fields; update variables are known.',
  'workflow-unperformable':
    'Warning: a workflow action that no role (other than one granting everything) may perform, by its permission or its roles.',
  'unknown-role': 'Roles named by transitions and dashboards exist.',
  'role-permission': 'Role permissions match existing entity actions or permissions (wildcards allowed).',
  'role-field': 'Field rules name existing entities and fields.',
  'role-scope':
    'Per-entity data scopes name existing entities; scope filters use only known caller variables ($user, $lines…).',
  'role-inherits': 'Inherited roles exist and do not inherit back.',
  'menu-item': 'Menu item ids are unique in their menu and each item opens something.',
  'menu-entity': 'Menu items open existing entities.',
  'menu-permission': 'Menu item permissions exist.',
  'field-permission': 'Field read/write permissions exist.',
  'dashboard-widget': 'Widget ids are unique in their dashboard.',
  'dashboard-entity': 'Widgets read existing entities.',
  'dashboard-field': 'Widget measures, groupings and columns name existing fields.',
  'rule-entity': "A rule's entity exists, and so do the entities its measures and `create` actions name.",
  'rule-trigger':
    'Trigger fields, workflow actions and states exist; a cron expression parses; a timer runs from a date/datetime field or a state.',
  'rule-action':
    '`refuse` runs only inside a write (record trigger, synchronous rule); set and create name existing, writable fields; transitions exist in the workflow of the record acted on; timers name timer rules of the same entity.',
  'rule-field': 'Notification and alert recipients, measure matches and windows name existing fields.',
} as const;

export type RuleId = keyof typeof RULES;
