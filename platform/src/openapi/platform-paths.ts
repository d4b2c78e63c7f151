/**
 * The routes that are not one entity's: sign-in, metadata and forms, administration (plugins,
 * extension fields, webhooks), BI, traceability, ABC analysis, operations and the API docs, and the
 * routes enabled plugins register under `/api/plugins/<name>`.
 */
import type { JsonSchema } from '../../../metadata/src/model/api-schema';
import {
  GZIP,
  errors,
  json,
  jsonBody,
  ok,
  pathParameter,
  queryParameter,
  ref,
  type Operation,
  type PathItem,
} from './openapi-components';

/** A route an enabled plugin registered (path below `/api/plugins/<plugin>`, `:param` segments). */
export interface PluginRouteDescription {
  plugin: string;
  method: string;
  path: string;
  status: number;
}

/** Public operations carry `security: []`; every other operation inherits the bearer requirement. */
const PUBLIC = { security: [] };

const OBJECT: JsonSchema = { type: 'object' };
const NAME = pathParameter('name', { type: 'string', pattern: '^[a-z][a-z0-9-]*$' }, 'Plugin name');
const ENTITY = pathParameter(
  'entity',
  { type: 'string' },
  'Entity name (`work_order`) or API path (`work-orders`)',
);

function op(tag: string, operationId: string, summary: string, rest: Record<string, unknown>): Operation {
  return { tags: [tag], operationId, summary, ...rest };
}

export function platformPaths(): Record<string, PathItem> {
  return {
    ...authPaths(),
    ...passwordLinkPaths(),
    ...metaPaths(),
    ...adminPaths(),
    ...studioPaths(),
    ...analysisPaths(),
    ...automationPaths(),
    ...opsPaths(),
  };
}

/** Rules, their run log and test runs (`automation:manage`); the caller's notifications, tasks and live stream. */
function automationPaths(): Record<string, PathItem> {
  const tag = 'automation';
  const list = { type: 'array', items: OBJECT };
  const id = pathParameter('id', { type: 'integer', minimum: 1 }, 'Run id');
  return {
    '/api/live': {
      get: op(tag, 'liveStream', "Server-Sent Events: messages to the caller's user, roles and tenant", {
        responses: {
          200: {
            description: 'An event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errors(401),
        },
      }),
    },
    '/api/automation/rules': {
      get: op(tag, 'listRules', 'The rules of the Model', {
        responses: { 200: ok('Rules', list), ...errors(403) },
      }),
    },
    '/api/automation/rules/{name}/test': {
      post: op(
        tag,
        'testRule',
        'Evaluates a rule against a record and lists what it would do, writing nothing',
        {
          parameters: [pathParameter('name', { type: 'string' }, 'Rule name')],
          requestBody: jsonBody({
            type: 'object',
            properties: { recordId: { type: 'integer', minimum: 1 } },
          }),
          responses: { 201: ok('Test run', OBJECT), ...errors(400, 403, 404) },
        },
      ),
    },
    '/api/automation/runs': {
      get: op(tag, 'listRuns', 'The run log of asynchronous rules, timers and schedules', {
        parameters: [
          queryParameter('status', { type: 'string' }),
          queryParameter('rule', { type: 'string' }),
          queryParameter('page', { type: 'integer', minimum: 1 }),
          queryParameter('pageSize', { type: 'integer', minimum: 1, maximum: 500 }),
        ],
        responses: { 200: ok('Runs', OBJECT), ...errors(400, 403) },
      }),
    },
    '/api/automation/runs/{id}': {
      get: op(tag, 'getRun', 'One run', {
        parameters: [id],
        responses: { 200: ok('Run', OBJECT), ...errors(403, 404) },
      }),
    },
    '/api/automation/runs/{id}/retry': {
      post: op(tag, 'retryRun', 'Runs a dead-lettered run again', {
        parameters: [id],
        responses: { 201: ok('Run', OBJECT), ...errors(400, 403, 404) },
      }),
    },
    '/api/jobs/handlers': {
      get: op(
        tag,
        'listJobHandlers',
        "The job handlers a scheduled job may name: the core's and the scheduled jobs of enabled plugins (needs job:read)",
        { responses: { 200: ok('Handlers (name, description, plugin)', list), ...errors(401, 403) } },
      ),
    },
    '/api/jobs/{id}/run_now': {
      post: op(
        tag,
        'runJobNow',
        'Runs a scheduled job at once through its handler and answers the job with the outcome (needs job:run_now; 409 while a non-concurrent run is going on)',
        {
          parameters: [pathParameter('id', { type: 'integer', minimum: 1 }, 'Job id')],
          responses: { 201: ok('The job after the run', OBJECT), ...errors(400, 401, 403, 404, 409) },
        },
      ),
    },
    '/api/automation/deliveries': {
      get: op(tag, 'listDeliveries', 'The delivery log of every channel', {
        parameters: [queryParameter('limit', { type: 'integer', minimum: 1, maximum: 1000 })],
        responses: { 200: ok('Deliveries', list), ...errors(400, 403) },
      }),
    },
    '/api/me/notifications': {
      get: op(tag, 'myNotifications', "The caller's notifications", {
        parameters: [queryParameter('unread', { type: 'string', enum: ['true', '1'] })],
        responses: { 200: ok('Notifications', list) },
      }),
    },
    '/api/me/notifications/count': {
      get: op(tag, 'myUnreadCount', 'How many notifications are unread', {
        responses: { 200: ok('Count', OBJECT) },
      }),
    },
    '/api/me/notifications/read': {
      post: op(tag, 'markNotificationsRead', 'Marks the listed notifications (or all) read', {
        requestBody: jsonBody(
          { type: 'object', properties: { ids: { type: 'array', items: { type: 'integer' } } } },
          false,
        ),
        responses: { 201: ok('Marked', OBJECT), ...errors(400) },
      }),
    },
    '/api/me/notification-preferences': {
      get: op(tag, 'myNotificationPreferences', "The caller's channels", {
        responses: { 200: ok('Channels', OBJECT) },
      }),
      put: op(tag, 'setNotificationPreferences', 'Switches channels on or off', {
        requestBody: jsonBody({ type: 'object', additionalProperties: { type: 'boolean' } }),
        responses: { 200: ok('Channels', OBJECT), ...errors(400) },
      }),
    },
    '/api/me/tasks': {
      get: op(
        tag,
        'myTasks',
        'The task inbox: approvals to vote on, workflow actions of my roles, records assigned, SLA deadlines',
        {
          responses: { 200: ok('Tasks', OBJECT) },
        },
      ),
    },
  };
}

function authPaths(): Record<string, PathItem> {
  const tag = 'auth';
  const refreshBody = jsonBody({
    type: 'object',
    required: ['refreshToken'],
    properties: { refreshToken: { type: 'string' } },
  });
  return {
    '/api/auth/login': {
      post: op(tag, 'login', 'Sign in with username and password', {
        ...PUBLIC,
        requestBody: jsonBody({
          type: 'object',
          required: ['username', 'password'],
          properties: {
            username: { type: 'string' },
            password: { type: 'string', format: 'password' },
            tenant: { type: 'string', description: 'Tenant code; default the configured default tenant' },
          },
        }),
        responses: { 200: ok('Access and refresh token', ref('TokenPair')), ...errors(400, 401, 429) },
      }),
    },
    '/api/auth/refresh': {
      post: op(
        tag,
        'refresh',
        'Trade a refresh token for a new token pair (the old refresh token is spent)',
        {
          ...PUBLIC,
          requestBody: refreshBody,
          responses: { 200: ok('A new token pair', ref('TokenPair')), ...errors(400, 401) },
        },
      ),
    },
    '/api/auth/logout': {
      post: op(tag, 'logout', 'Revoke a refresh token', {
        requestBody: refreshBody,
        responses: { 200: ok('Signed out', { type: 'null' }), ...errors(400) },
      }),
    },
    '/api/auth/me': {
      get: op(tag, 'me', 'The signed-in user: roles, effective permissions and menu', {
        responses: { 200: ok('The caller', ref('Me')), ...errors(401) },
      }),
    },
    '/api/auth/locale': {
      put: op(
        tag,
        'setOwnLocale',
        'Store the own language preference; server messages follow it from the next access token (refresh after the change)',
        {
          requestBody: jsonBody({
            type: 'object',
            required: ['locale'],
            properties: { locale: { type: 'string', enum: ['en', 'zh'] } },
          }),
          responses: { 200: ok('Stored', OBJECT), ...errors(400, 401) },
        },
      ),
    },
    '/api/auth/change-password': {
      post: op(tag, 'changePassword', 'Change the own password; signs the user out of every session', {
        requestBody: jsonBody({
          type: 'object',
          required: ['currentPassword', 'newPassword'],
          properties: {
            currentPassword: { type: 'string', format: 'password' },
            newPassword: { type: 'string', format: 'password' },
          },
        }),
        responses: { 200: ok('Changed', ref('PasswordChanged')), ...errors(400, 401, 422) },
      }),
    },
    '/api/users/{id}/password': {
      post: op(
        tag,
        'resetPassword',
        "Set a user's password (needs user:reset_password and the user in the caller's scope)",
        {
          parameters: [pathParameter('id', { type: 'integer', minimum: 1 }, 'User id')],
          requestBody: jsonBody({
            type: 'object',
            required: ['newPassword'],
            properties: { newPassword: { type: 'string', format: 'password' } },
          }),
          responses: { 200: ok('Set', ref('PasswordChanged')), ...errors(400, 403, 404, 422) },
        },
      ),
    },
  };
}

/** One-time password links and their redemption. */
function passwordLinkPaths(): Record<string, PathItem> {
  const tag = 'auth';
  return {
    '/api/users/{id}/password-link': {
      post: op(
        tag,
        'issuePasswordLink',
        "A one-time link for a user to set their own password (invite or reset; needs user:reset_password and the user in the caller's scope)",
        {
          parameters: [pathParameter('id', { type: 'integer', minimum: 1 }, 'User id')],
          requestBody: jsonBody({
            type: 'object',
            properties: {
              purpose: { type: 'string', enum: ['invite', 'reset'], default: 'reset' },
              send: {
                type: 'boolean',
                default: false,
                description:
                  'E-mail the link to the user (needs SMTP_URL) instead of answering with the token; the answer names the address, masked',
              },
            },
          }),
          responses: {
            200: ok('The link token, shown once, or where it was sent', OBJECT),
            ...errors(400, 403, 404, 422),
          },
        },
      ),
    },
    '/api/auth/password-reset-request': {
      post: op(
        tag,
        'requestPasswordReset',
        'Forgot password: e-mail a one-time reset link to the account, when it exists, is active and has an address; the answer is the same in every case',
        {
          ...PUBLIC,
          requestBody: jsonBody({
            type: 'object',
            required: ['username'],
            properties: { username: { type: 'string' }, tenant: { type: 'string' } },
          }),
          responses: { 202: ok('Accepted', OBJECT), ...errors(400, 429) },
        },
      ),
    },
    '/api/auth/password-reset': {
      post: op(tag, 'redeemPasswordLink', 'Set the own password with a one-time link token', {
        ...PUBLIC,
        requestBody: jsonBody({
          type: 'object',
          required: ['token', 'newPassword'],
          properties: { token: { type: 'string' }, newPassword: { type: 'string', format: 'password' } },
        }),
        responses: { 200: ok('Password set', OBJECT), ...errors(400, 401, 422, 429) },
      }),
    },
  };
}

function metaPaths(): Record<string, PathItem> {
  const tag = 'meta';
  return {
    '/api/meta/roles/{role}/access': {
      get: op(tag, 'getRoleAccess', 'What a role grants, as the engine applies it (needs role:read)', {
        parameters: [pathParameter('role', { type: 'string' }, 'Role code')],
        responses: { 200: ok('Effective permissions and data scopes', OBJECT), ...errors(403, 404) },
      }),
    },
    '/api/lookup/{entity}/{field}': {
      get: op(
        tag,
        'lookupChoices',
        'Id, display value and business key of the records a relation field may point at, or of the ids it holds',
        {
          parameters: [
            ENTITY,
            pathParameter('field', { type: 'string' }, 'Relation or many field of the entity'),
            queryParameter('search', { type: 'string' }, 'Part of the display value or business key'),
            queryParameter('ids', { type: 'string', pattern: '^[0-9]+(,[0-9]+)*$' }, 'Ids to name'),
            queryParameter('pageSize', { type: 'integer', minimum: 1, maximum: 50 }),
          ],
          responses: { 200: ok('Choices', OBJECT), ...errors(400, 403, 404) },
        },
      ),
    },
    '/api/meta/entities': {
      get: op(tag, 'listEntityMeta', 'Entities of the live Model the caller may read', {
        responses: { 200: ok('Entity summaries', OBJECT), ...errors(403) },
      }),
    },
    '/api/meta/entities/{entity}': {
      get: op(
        tag,
        'getEntityMeta',
        'Fields, list, form and workflow of one entity, as the caller may see them',
        {
          parameters: [ENTITY],
          responses: { 200: ok('Entity metadata', OBJECT), ...errors(403, 404) },
        },
      ),
    },
    '/api/ui/forms/{entity}': {
      get: op(
        tag,
        'getFormSchema',
        "The entity's FormKit form in the live Model, as the caller may see and change it",
        {
          parameters: [
            ENTITY,
            queryParameter(
              'base',
              { type: 'string' },
              'Hash of the form definition the client holds (a generated one); `schema` is null when that is the form served',
            ),
          ],
          responses: {
            200: ok('Form definition: entity, path, label, customRules, hash and schema', OBJECT),
            ...errors(403, 404),
          },
        },
      ),
    },
    '/api/ui/lists/{entity}': {
      get: op(
        tag,
        'getListDefinition',
        "The entity's list definition in the live Model, as the caller may see it",
        {
          parameters: [
            ENTITY,
            queryParameter(
              'base',
              { type: 'string' },
              'Hash of the list definition the client holds (a generated one); `list` is null when that is the list served',
            ),
          ],
          responses: {
            200: ok(
              'List definition: entity, path, hash and list (columns, sort, filters, search, page size, views)',
              OBJECT,
            ),
            ...errors(403, 404),
          },
        },
      ),
    },
  };
}

function adminPaths(): Record<string, PathItem> {
  const plugin = 'plugins';
  const field = 'extension-fields';
  const hook = 'webhooks';
  const fieldName = pathParameter('name', { type: 'string' }, 'Extension field name');
  const installBody = {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['source'],
          properties: {
            source: { type: 'string', description: 'Catalog name or absolute folder path' },
            enable: { type: 'boolean', default: false },
          },
        },
      },
      [GZIP]: {
        schema: { type: 'string', contentEncoding: 'binary', description: '`mes plugin build` package' },
      },
    },
  };
  const signature = {
    name: 'x-plugin-signature',
    in: 'header',
    description: "Signature of an uploaded package by a trusted publisher's key",
    schema: { type: 'string' },
  };
  const pluginInfo = ok('The plugin', ref('PluginInfo'));
  const pluginAction = (id: string, verb: string) =>
    op(plugin, id, `${verb} a plugin`, {
      parameters: [NAME],
      responses: { 200: pluginInfo, ...errors(403, 404, 409, 422) },
    });
  return {
    '/api/admin/plugins': {
      get: op(plugin, 'listPlugins', 'Installed and catalog plugins', {
        responses: { 200: ok('Plugins', { type: 'array', items: ref('PluginInfo') }), ...errors(403) },
      }),
      post: op(
        plugin,
        'installPlugin',
        'Install a plugin from the catalog, a folder or an uploaded package',
        {
          parameters: [
            queryParameter(
              'enable',
              { type: 'boolean', default: false },
              'Enable an uploaded package at once',
            ),
            signature,
          ],
          requestBody: installBody,
          responses: { 201: ok('Installed', ref('PluginInfo')), ...errors(400, 403, 409, 413, 415, 422) },
        },
      ),
    },
    '/api/admin/plugins/{name}': {
      get: op(plugin, 'getPlugin', 'One plugin', {
        parameters: [NAME],
        responses: { 200: pluginInfo, ...errors(403, 404) },
      }),
      delete: op(plugin, 'uninstallPlugin', 'Uninstall a disabled plugin', {
        parameters: [
          NAME,
          queryParameter('dropData', { type: 'boolean', default: false }, "Drop the plugin's tables"),
        ],
        responses: { 204: { description: 'Uninstalled' }, ...errors(403, 404, 409) },
      }),
    },
    '/api/admin/plugins/{name}/enable': { post: pluginAction('enablePlugin', 'Enable') },
    '/api/admin/plugins/{name}/disable': { post: pluginAction('disablePlugin', 'Disable') },
    '/api/admin/plugins/{name}/upgrade': {
      post: op(plugin, 'upgradePlugin', 'Upgrade a plugin from its source or an uploaded package', {
        parameters: [NAME, signature],
        requestBody: { ...installBody, required: false },
        responses: { 200: pluginInfo, ...errors(400, 403, 404, 409, 413, 415, 422) },
      }),
    },
    '/api/admin/extensions/{entity}/fields': {
      get: op(field, 'listExtensionFields', "The tenant's extension fields of an entity", {
        parameters: [ENTITY],
        responses: {
          200: ok('Fields', { type: 'array', items: ref('ExtensionField') }),
          ...errors(403, 404),
        },
      }),
      post: op(
        field,
        'addExtensionField',
        'Add an extension field (stored in the row ext JSON; no migration)',
        {
          parameters: [ENTITY],
          requestBody: jsonBody({
            type: 'object',
            required: ['name', 'type'],
            description: 'A field definition of the metadata language plus its name',
            properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' }, type: { type: 'string' } },
          }),
          responses: { 201: ok('Added', ref('ExtensionField')), ...errors(400, 403, 404, 409, 422) },
        },
      ),
    },
    '/api/admin/extensions/{entity}/fields/{name}': {
      patch: op(field, 'renameExtensionField', 'Rename an extension field, moving its values', {
        parameters: [ENTITY, fieldName],
        requestBody: jsonBody({
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' } },
        }),
        responses: { 200: ok('Renamed', ref('ExtensionField')), ...errors(400, 403, 404, 409, 422) },
      }),
      delete: op(field, 'archiveExtensionField', 'Archive an extension field (values stay in the rows)', {
        parameters: [ENTITY, fieldName],
        responses: { 204: { description: 'Archived' }, ...errors(403, 404) },
      }),
    },
    '/api/admin/extensions/{entity}/fields/{name}/promote': {
      post: op(field, 'promoteExtensionField', 'Add an indexed generated column for the field', {
        parameters: [ENTITY, fieldName],
        responses: { 200: ok('Promoted', ref('ExtensionField')), ...errors(403, 404, 409) },
      }),
    },
    '/api/admin/webhooks': {
      get: op(hook, 'listWebhooks', "The tenant's webhook subscriptions (webhook:manage)", {
        responses: { 200: ok('Subscriptions', { type: 'array', items: OBJECT }), ...errors(403) },
      }),
      post: op(
        hook,
        'createWebhook',
        'Subscribe a URL to an event type or pattern; the secret is returned only here',
        {
          requestBody: jsonBody({
            type: 'object',
            required: ['eventType', 'url'],
            properties: {
              eventType: { type: 'string', description: '`work_order.released`, `work_order.*` or `*`' },
              url: { type: 'string', format: 'uri' },
              secret: { type: 'string', description: 'HMAC secret; random 32 bytes when absent' },
              unmask: { type: 'boolean', default: false, description: 'Send sensitive fields in clear' },
            },
          }),
          responses: { 201: ok('Subscribed', ref('WebhookSubscription')), ...errors(400, 403, 422) },
        },
      ),
    },
    '/api/admin/webhooks/event-types': {
      get: op(hook, 'listWebhookEventTypes', 'Every event type a subscription may name', {
        responses: {
          200: ok('Event types', {
            type: 'array',
            items: {
              type: 'object',
              required: ['type', 'entities'],
              properties: {
                type: { type: 'string' },
                entities: { type: 'array', items: { type: 'string' } },
              },
            },
          }),
          ...errors(403),
        },
      }),
    },
    '/api/admin/webhooks/{id}': {
      delete: op(hook, 'cancelWebhook', 'Cancel a subscription', {
        parameters: [pathParameter('id', { type: 'integer', minimum: 1 })],
        responses: {
          200: ok('Cancelled', {
            type: 'object',
            required: ['id', 'active'],
            properties: { id: { type: 'integer' }, active: { const: false } },
          }),
          ...errors(400, 403, 404),
        },
      }),
    },
    '/api/admin/webhooks/{id}/deliveries': {
      get: op(hook, 'listWebhookDeliveries', 'Recent deliveries of a subscription, newest first', {
        parameters: [
          pathParameter('id', { type: 'integer', minimum: 1 }),
          queryParameter('limit', { type: 'integer', minimum: 1, default: 50 }),
        ],
        responses: { 200: ok('Deliveries', { type: 'array', items: OBJECT }), ...errors(400, 403, 404) },
      }),
    },
  };
}

/** The Metadata Studio: change sets, validation, preview, publishing, versions and rollback. */
function studioPaths(): Record<string, PathItem> {
  const tag = 'studio';
  const ID = pathParameter('id', { type: 'integer', minimum: 1 }, 'Change set id');
  const changeSet = ok('The change set', OBJECT);
  const documents = jsonBody(OBJECT);
  return {
    '/api/studio/change-sets': {
      get: op(tag, 'listStudioChangeSets', 'Change sets (needs metadata:edit)', {
        responses: { 200: ok('Change sets', OBJECT), ...errors(403) },
      }),
      post: op(tag, 'createStudioChangeSet', 'Start a draft change set with a name and description', {
        requestBody: documents,
        responses: { 201: changeSet, ...errors(400, 403, 422) },
      }),
    },
    '/api/studio/change-sets/{id}': {
      get: op(tag, 'getStudioChangeSet', 'A change set with its documents', {
        parameters: [ID],
        responses: { 200: changeSet, ...errors(403, 404) },
      }),
      patch: op(
        tag,
        'updateStudioChangeSet',
        "Edit a draft's documents (409 when someone saved it meanwhile)",
        {
          parameters: [ID],
          requestBody: documents,
          responses: { 200: changeSet, ...errors(400, 403, 404, 409, 422) },
        },
      ),
    },
    '/api/studio/change-sets/{id}/rebase': {
      post: op(tag, 'rebaseChangeSet', 'Move a change set onto the newest published Model', {
        parameters: [ID],
        requestBody: documents,
        responses: { 200: changeSet, ...errors(403, 404, 409, 422) },
      }),
    },
    '/api/studio/change-sets/{id}/preview': {
      get: op(
        tag,
        'previewChangeSet',
        'Validation errors, schema diff (destructive steps flagged) and API diff',
        {
          parameters: [ID],
          responses: { 200: ok('The check', OBJECT), ...errors(403, 404) },
        },
      ),
    },
    '/api/studio/change-sets/{id}/actions/{action}': {
      post: op(tag, 'changeSetAction', 'Perform a review workflow action (submit, reject, reopen)', {
        parameters: [ID, pathParameter('action', { type: 'string' }, 'Workflow action')],
        requestBody: documents,
        responses: { 200: changeSet, ...errors(400, 403, 404, 409, 422) },
      }),
    },
    '/api/studio/change-sets/{id}/publish': {
      post: op(
        tag,
        'publishChangeSet',
        'Apply the change set: migrate, swap the Model, record a version (needs metadata:publish)',
        {
          parameters: [ID],
          requestBody: jsonBody({
            type: 'object',
            properties: { confirmDestructive: { type: 'boolean' }, comment: { type: 'string' } },
          }),
          responses: { 200: ok('The published version', OBJECT), ...errors(403, 404, 409, 422) },
        },
      ),
    },
    '/api/studio/validate': {
      post: op(tag, 'validateDocuments', 'Validate metadata documents as `mes validate` does', {
        requestBody: documents,
        responses: { 200: ok('The check', OBJECT), ...errors(400, 403) },
      }),
    },
    '/api/studio/form-preview': {
      post: op(tag, 'previewForm', 'The FormKit form a draft would serve', {
        requestBody: documents,
        responses: { 200: ok('The form schema', OBJECT), ...errors(400, 403, 422) },
      }),
    },
    '/api/studio/rule-test': {
      post: op(
        tag,
        'testDraftRule',
        "Evaluates a rule of a draft (or a served one) against a record with the draft's Model, writing nothing",
        {
          requestBody: jsonBody({
            type: 'object',
            required: ['rule'],
            properties: {
              content: OBJECT,
              rule: { type: 'string' },
              recordId: { type: 'integer', minimum: 1 },
            },
          }),
          responses: { 200: ok('Test run', OBJECT), ...errors(400, 403, 404, 422) },
        },
      ),
    },
    '/api/studio/dashboard-preview': {
      post: op(
        tag,
        'previewStudioDashboard',
        "A draft's dashboard with its widgets' data, computed as the caller",
        {
          requestBody: jsonBody({
            type: 'object',
            required: ['content', 'dashboard'],
            properties: {
              content: OBJECT,
              dashboard: { type: 'string' },
              filters: {
                type: 'object',
                properties: {
                  plant: { type: 'integer' },
                  line: { type: 'integer' },
                  shift: { type: 'integer' },
                  from: { type: 'string' },
                  to: { type: 'string' },
                  tz: { type: 'string' },
                },
              },
            },
          }),
          responses: { 200: ok('Errors and the dashboard with data', OBJECT), ...errors(400, 403, 404) },
        },
      ),
    },
    '/api/studio/versions': {
      get: op(tag, 'listMetadataVersions', 'Published versions with their diffs', {
        responses: { 200: ok('Versions', OBJECT), ...errors(403) },
      }),
    },
    '/api/studio/rollback': {
      post: op(tag, 'rollbackMetadata', 'Serve an earlier version again (columns and data are kept)', {
        requestBody: jsonBody({
          type: 'object',
          required: ['version'],
          properties: { version: { type: 'integer' } },
        }),
        responses: { 200: ok('The new version', OBJECT), ...errors(400, 403, 404, 409) },
      }),
    },
    '/api/studio/model': {
      get: op(tag, 'getStudioModel', 'Entities, roles, modules and rules a designer can refer to', {
        responses: { 200: ok('The Model summary', OBJECT), ...errors(403) },
      }),
    },
    '/api/studio/published': {
      get: op(
        tag,
        'getPublishedStudioLayer',
        'The published studio documents (what `mes metadata pull` writes)',
        {
          responses: { 200: ok('Documents', OBJECT), ...errors(403) },
        },
      ),
    },
  };
}

function analysisPaths(): Record<string, PathItem> {
  const bi = 'bi';
  const trace = 'trace';
  const filters = [
    queryParameter('plant', { type: 'integer', minimum: 1 }, 'Plant id'),
    queryParameter('line', { type: 'integer', minimum: 1 }, 'Production line id'),
    queryParameter('from', { type: 'string' }, 'Start (ISO date or date-time, in tz)'),
    queryParameter('to', { type: 'string' }, 'End, after from'),
    queryParameter('tz', { type: 'string' }, "IANA time zone; default the plant's, else UTC"),
  ];
  const traceQuery = (names: string[]) => [
    ...names.map((name) => queryParameter(name, { type: 'string' }, 'Start node (give exactly one)')),
    queryParameter('depth', { type: 'integer', minimum: 1, maximum: 50 }, 'Levels to walk'),
  ];
  return {
    '/api/bi/dashboards': {
      get: op(bi, 'listDashboards', 'Dashboards the caller may open', {
        responses: { 200: ok('Dashboards', { type: 'array', items: OBJECT }), ...errors(403) },
      }),
    },
    '/api/bi/dashboards/{name}': {
      get: op(bi, 'getDashboard', "A dashboard's widgets with their data", {
        parameters: [pathParameter('name', { type: 'string' }), ...filters],
        responses: { 200: ok('Dashboard', OBJECT), ...errors(400, 403, 404) },
      }),
    },
    '/api/calendars/{id}/working-time': {
      get: op(
        bi,
        'getWorkingTime',
        "A working calendar's working time between two instants (its working days' shifts on the wall clock of tz); the rest is non-working",
        {
          parameters: [
            pathParameter('id', { type: 'integer', minimum: 1 }),
            queryParameter('from', { type: 'string', format: 'date-time' }, 'Start (ISO 8601 instant)'),
            queryParameter(
              'to',
              { type: 'string', format: 'date-time' },
              'End, after from, at most 92 days later',
            ),
            queryParameter(
              'tz',
              { type: 'string' },
              "IANA time zone the shifts run on (a plant's); default UTC",
            ),
          ],
          responses: { 200: ok('Working spans', OBJECT), ...errors(400, 403, 404) },
        },
      ),
    },
    '/api/bi/kpis': {
      get: op(bi, 'listKpis', 'KPIs the caller may read', {
        responses: { 200: ok('KPIs', { type: 'array', items: OBJECT }), ...errors(403) },
      }),
    },
    '/api/bi/kpis/{name}': {
      get: op(bi, 'getKpi', 'One KPI over the filters, optionally grouped', {
        parameters: [
          pathParameter('name', { type: 'string' }),
          ...filters,
          queryParameter('groupBy', { type: 'string' }),
        ],
        responses: { 200: ok('KPI values', OBJECT), ...errors(400, 403, 404) },
      }),
    },
    '/api/trace/reverse': {
      get: op(
        trace,
        'traceReverse',
        'Where a serial, lot, box, pallet or shipment came from (materials, supplier lots, receipts), with who, where, when and the results at each step',
        {
          parameters: traceQuery(['sn', 'lotId', 'boxNo', 'palletNo', 'shipmentNo', 'grnNo']),
          responses: { 200: ok('Trace report', ref('TraceReport')), ...errors(400, 403, 404) },
        },
      ),
    },
    '/api/trace/forward': {
      get: op(
        trace,
        'traceForward',
        'Where a receipt, supplier lot, lot, serial, box or pallet went (products, boxes, pallets, shipments)',
        {
          parameters: traceQuery(['lotId', 'sn', 'boxNo', 'palletNo', 'grnNo']),
          responses: { 200: ok('Trace report', ref('TraceReport')), ...errors(400, 403, 404) },
        },
      ),
    },
    '/api/trace/impact': {
      get: op(
        trace,
        'traceImpact',
        'Customer impact (complaint report): the shipments and customers that received what a receipt, supplier lot, lot, serial, box or pallet went into',
        {
          parameters: traceQuery(['lotId', 'sn', 'boxNo', 'palletNo', 'grnNo']),
          responses: { 200: ok('Impact report', ref('ImpactReport')), ...errors(400, 403, 404) },
        },
      ),
    },
    '/api/inventory/abc-analysis': {
      post: op('inventory', 'abcAnalysis', 'Classify items A/B/C by consumption value over a period', {
        requestBody: jsonBody({
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            aPercent: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 80 },
            bPercent: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 95 },
          },
        }),
        responses: { 200: ok('Classes and items', OBJECT), ...errors(400, 403) },
      }),
    },
  };
}

function opsPaths(): Record<string, PathItem> {
  const tag = 'ops';
  const text = (description: string, type: string) => ({
    description,
    content: { [type]: { schema: { type: 'string' } } },
  });
  return {
    '/health': {
      get: op(tag, 'health', 'Liveness: the process answers', {
        ...PUBLIC,
        responses: { 200: { description: 'Alive', ...json(OBJECT) }, ...errors(503) },
      }),
    },
    '/health/ready': {
      get: op(tag, 'ready', 'Readiness: database (and Redis when configured) reachable', {
        ...PUBLIC,
        responses: { 200: { description: 'Ready', ...json(OBJECT) }, ...errors(503) },
      }),
    },
    '/metrics': {
      get: op(tag, 'metrics', 'Prometheus metrics', {
        ...PUBLIC,
        responses: { 200: text('Metrics in the Prometheus text format', 'text/plain'), ...errors(404) },
      }),
    },
    '/api-docs': {
      get: op(tag, 'apiDocsPage', 'Swagger UI over this document', {
        ...PUBLIC,
        responses: { 200: text('The page', 'text/html'), ...errors(404) },
      }),
    },
    '/api-docs/json': {
      get: op(tag, 'apiDocs', 'This OpenAPI document, built from the live Model', {
        ...PUBLIC,
        responses: { 200: { description: 'The document', ...json(OBJECT) }, ...errors(404) },
      }),
    },
    '/api-docs/assets/{file}': {
      get: op(tag, 'apiDocsAsset', 'Swagger UI assets', {
        ...PUBLIC,
        parameters: [
          pathParameter('file', {
            enum: ['init.js', 'swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js'],
          }),
        ],
        responses: { 200: text('The asset', 'text/plain'), ...errors(404) },
      }),
    },
  };
}

/**
 * Operations of the routes enabled plugins registered. A plugin declares a route's method, path and
 * success status, not its payloads: the body is passed to the handler as sent, and the answer is the
 * standard envelope around whatever the handler returned. Errors are those `api.errors` give (400,
 * 403, 404, 409, 422), a handler that throws anything else (502) or runs past its limit (504).
 */
export function pluginPaths(routes: readonly PluginRouteDescription[]): Record<string, PathItem> {
  const paths: Record<string, PathItem> = {};
  for (const route of routes) {
    const path = `/api/plugins/${route.plugin}${route.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')}`;
    const names = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    const method = route.method.toLowerCase();
    const words = route.path
      .split(/[^A-Za-z0-9]+/)
      .filter((w) => w !== '')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1));
    paths[path] = {
      ...paths[path],
      [method]: op(
        `plugin:${route.plugin}`,
        `${route.plugin.replace(/-/g, '_')}_${method}${words.join('')}`,
        `${route.method} ${route.path} of plugin ${route.plugin}`,
        {
          description:
            "A route of an enabled plugin (404 while it is not). Its body and answer are the plugin's own: see the plugin's documentation.",
          parameters: names.map((name) => pathParameter(name, { type: 'string' })),
          ...(['post', 'put', 'patch'].includes(method) ? { requestBody: jsonBody(PLUGIN_BODY, false) } : {}),
          responses: {
            [route.status]: ok('The envelope around what the handler returned', PLUGIN_ANSWER),
            ...errors(400, 403, 404, 409, 422, 502, 504),
          },
        },
      ),
    };
  }
  return paths;
}

const PLUGIN_BODY: JsonSchema = {
  description: "Any JSON value, passed to the plugin's handler as sent",
};

const PLUGIN_ANSWER: JsonSchema = {
  description: "The value the plugin's handler returned (any JSON value; null when it returned nothing)",
};

export function platformSchemas(): Record<string, JsonSchema> {
  return {
    TokenPair: {
      type: 'object',
      required: ['accessToken', 'tokenType', 'expiresIn', 'refreshToken', 'refreshExpiresAt'],
      properties: {
        accessToken: { type: 'string', description: 'JWT for the Authorization: Bearer header' },
        tokenType: { const: 'Bearer' },
        expiresIn: { type: 'integer', description: 'Seconds the access token lives' },
        refreshToken: { type: 'string' },
        refreshExpiresAt: { type: 'string', format: 'date-time' },
      },
    },
    Me: {
      type: 'object',
      required: ['user', 'tenant', 'roles', 'permissions', 'menu'],
      properties: {
        user: {
          type: 'object',
          required: ['id', 'username'],
          properties: { id: { type: 'string' }, username: { type: 'string' } },
        },
        tenant: { type: 'string' },
        roles: { type: 'array', items: { type: 'string' } },
        permissions: { type: 'array', items: { type: 'string' } },
        menu: { type: 'array', items: OBJECT },
      },
    },
    PasswordChanged: {
      type: 'object',
      required: ['refreshTokensRevoked'],
      properties: { refreshTokensRevoked: { type: 'integer' } },
    },
    PluginInfo: { type: 'object', description: 'Name, version, state and what the plugin brings' },
    ExtensionField: {
      type: 'object',
      required: ['entity', 'name', 'tenantId', 'status', 'version', 'definition', 'promotedColumn'],
      properties: {
        entity: { type: 'string' },
        name: { type: 'string' },
        tenantId: { type: 'string' },
        status: { type: 'string' },
        version: { type: 'integer' },
        definition: OBJECT,
        promotedColumn: { type: ['string', 'null'] },
      },
    },
    WebhookSubscription: {
      type: 'object',
      required: ['id', 'eventType', 'url', 'secret', 'unmask'],
      properties: {
        id: { type: 'integer' },
        eventType: { type: 'string' },
        url: { type: 'string' },
        secret: { type: 'string' },
        unmask: { type: 'boolean' },
      },
    },
    TraceReport: {
      type: 'object',
      required: ['direction', 'start'],
      description: 'Serials, lots, supplier lots, boxes, pallets and shipments reached, and the graph',
      properties: {
        direction: { enum: ['reverse', 'forward'] },
        start: { type: 'string' },
        details: {
          type: 'object',
          description:
            'The records behind the nodes the caller may read: serials, processes (trace events with operator, station, shift, times, result), testResults, materials (supplier, GRN, mold, IQC), quality (iqc, ipqc, fai, oqc), shipping (boxes, pallets, shipments with customers)',
        },
      },
    },
    ImpactReport: {
      type: 'object',
      required: ['start', 'affected', 'customers', 'shipments'],
      description:
        'Affected counts, lots, the customers and shipments that received affected serials, and what is still unshipped',
      properties: {
        start: { type: 'string' },
        affected: OBJECT,
        lots: { type: 'array', items: { type: 'string' } },
        customers: { type: 'array', items: OBJECT },
        shipments: { type: 'array', items: OBJECT },
        unshipped: OBJECT,
      },
    },
  };
}
