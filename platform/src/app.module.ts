import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from './config/app-config';
import type { RecentWriters } from './bootstrap/read-your-writes';
import { AggregateController } from './bi/http/aggregate.controller';
import { BiController } from './bi/http/bi.controller';
import { WorkingTimeController } from './bi/http/working-time.controller';
import { BiDependenciesModule } from './bi/http/bi-dependencies.module';
import { WIDGET_CACHE } from './bi/http/tokens';
import { WidgetCache } from './bi/widget-cache';
import { CrudDependenciesModule } from './crud/http/crud-dependencies.module';
import { AbcAnalysisController, INVENTORY_RECORDS } from './domain/inventory/abc-analysis.controller';
import { EntityController } from './crud/http/entity.controller';
import type { EntityService } from './crud/entity.service';
import type { EntityOperations } from './crud/types';
import type { EngineDatabase } from './data/database';
import type { AutomationRuntime } from './bootstrap/automation-runtime';
import type { LiveChannel } from './events/live-channel';
import { MeController } from './notify/http/me.controller';
import { AUTOMATION, AutomationController } from './rules/http/automation.controller';
import { JobRunController } from './jobs/http/job-run.controller';
import { WEBHOOK_DATABASE, WebhookAdminController } from './events/http/webhook-admin.controller';
import { GeneratedModule } from './generated/generated.module';
import type { ModelRegistry } from './kernel/model-registry';
import { LOOKUP_RECORDS, LookupController } from './meta/lookup.controller';
import { MetaController } from './meta/meta.controller';
import type { FileStorage } from './files/file-storage';
import { RECORD_FILES, RecordFilesController } from './files/http/record-files.controller';
import { RecordFiles } from './files/record-files';
import { LabelController } from './print/label.controller';
import type { MetricsOptions } from './ops/metrics';
import { HealthController, READINESS_CHECKS, type ReadinessCheck } from './ops/health.controller';
import { extensionAdminControllers, extensionAdminProviders } from './plugins/admin-registration';
import type { PluginManager } from './plugins/plugin-manager';
import type { SecurityHttpOptions } from './security/http/register-security';
import { FormSchemaController } from './ui/form-schema.controller';
import { ListSchemaController } from './ui/list-schema.controller';
import type { FormOverlayStore } from './studio/form-overlay-store';
import { StudioController } from './studio/studio.controller';
import type { StudioService } from './studio/studio.service';
import { FORM_OVERLAYS, STUDIO_SERVICE } from './studio/tokens';
import { StaticAppRegistrar } from './ui/static-app.registrar';
import { TRACE_DATABASE, TraceController } from './trace/http/trace.controller';
import { WORKFLOW_SERVICE, WorkflowController } from './workflow/http/workflow.controller';
import type { WorkflowService } from './workflow/workflow.service';

/** What the HTTP shell is built around; the bootstrap creates these before Nest starts. */
export interface AppDependencies {
  config: AppConfig;
  operations: EntityOperations;
  models: ModelRegistry;
  readinessChecks: ReadinessCheck[];
  /** Runtime plugin lifecycle; without it the admin plugin API is not mounted. */
  plugins?: PluginManager;
  /** Authentication and hardening: every route but those declared public needs a principal. */
  security: SecurityHttpOptions;
  /** Workflow actions and history; without it the action routes are not mounted. */
  workflows?: WorkflowService;
  /**
   * The database the trace queries, the inventory analyses, the webhook subscriptions and the
   * aggregates use; without it those APIs are not mounted.
   */
  traceDatabase?: EngineDatabase;
  /** The record-change path for analyses that write records (ABC); without it they are not mounted. */
  records?: EntityService;
  /** Where attached files are kept; with `records`, records of entities that declare them take attachments and comments. */
  files?: FileStorage;
  /**
   * Origins whose entities are served by their generated controllers; default `['core']`. Plugin
   * entities never are: a plugin is enabled and disabled at runtime, and only the dynamic controller
   * follows the current Model. `[]` serves every entity dynamically (the reference the route tests
   * compare the generated controllers with).
   */
  generatedOrigins?: readonly string[];
  /** Prometheus exposition at `/metrics`; without it the route is not mounted. */
  metrics?: MetricsOptions;
  /** With read replicas: who wrote recently, so their reads go to the primary (read-your-writes). */
  recentWriters?: RecentWriters;
  /** The Metadata Studio; without it `/api/studio` is not mounted. */
  studio?: StudioService;
  /** Tenants' form overlays the form schema route layers forms with. */
  formOverlays?: FormOverlayStore;
  /** Whether aggregates a rollup answers read it (default); false always reads the rows. */
  biRollups?: boolean;
  /** Server-sent messages to the caller at `GET /api/live`; without it the route is not mounted. */
  live?: LiveChannel;
  /** Rules, notifications and the task inbox; without it `/api/automation` and `/api/me` are not mounted. */
  automation?: AutomationRuntime;
}

const CORE_ORIGINS = ['core'];

/**
 * Core entities are served by their generated controllers (static routes such as `/api/work-orders`,
 * which Fastify matches before `/api/:path`); the dynamic EntityController serves plugin entities and
 * entities created at runtime, and the sub-routes a generated controller does not declare (workflow
 * actions, history, audit), which Fastify reaches by backtracking to the parametric routes.
 */
@Module({})
export class AppModule {
  static register(deps: AppDependencies): DynamicModule {
    const crud = BiDependenciesModule.register(
      CrudDependenciesModule.register(deps),
      deps.traceDatabase,
      deps.biRollups ?? true,
    );
    return {
      module: AppModule,
      imports: [crud, GeneratedModule.register(crud, deps.generatedOrigins ?? CORE_ORIGINS)],
      controllers: [
        ...extensionAdminControllers(deps.plugins),
        HealthController,
        MetaController,
        EntityController,
        AggregateController,
        BiController,
        WorkingTimeController,
        FormSchemaController,
        ListSchemaController,
        LabelController,
        ...(deps.workflows ? [WorkflowController] : []),
        ...(deps.traceDatabase ? [TraceController, WebhookAdminController] : []),
        ...(deps.records ? [AbcAnalysisController, LookupController] : []),
        ...(deps.records && deps.files ? [RecordFilesController] : []),
        ...(deps.studio ? [StudioController] : []),
        ...(deps.automation && deps.workflows ? [AutomationController, MeController, JobRunController] : []),
      ],
      providers: [
        ...extensionAdminProviders(deps.plugins, deps.models),
        ...(deps.workflows ? [{ provide: WORKFLOW_SERVICE, useValue: deps.workflows }] : []),
        ...(deps.traceDatabase
          ? [
              { provide: TRACE_DATABASE, useValue: deps.traceDatabase },
              { provide: WEBHOOK_DATABASE, useValue: deps.traceDatabase },
            ]
          : []),
        ...(deps.records
          ? [
              { provide: INVENTORY_RECORDS, useValue: deps.records },
              { provide: LOOKUP_RECORDS, useValue: deps.records },
            ]
          : []),
        ...(deps.records && deps.files
          ? [{ provide: RECORD_FILES, useValue: new RecordFiles(deps.records, deps.files) }]
          : []),
        ...(deps.studio ? [{ provide: STUDIO_SERVICE, useValue: deps.studio }] : []),
        { provide: FORM_OVERLAYS, useValue: deps.formOverlays ?? null },
        // Dashboard widget results, dropped when the live channel announces a change under them.
        { provide: WIDGET_CACHE, useValue: deps.live ? new WidgetCache(deps.live) : null },
        ...(deps.automation ? [{ provide: AUTOMATION, useValue: deps.automation }] : []),
        StaticAppRegistrar,
        { provide: READINESS_CHECKS, useValue: deps.readinessChecks },
      ],
    };
  }
}
