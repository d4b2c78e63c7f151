import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/tokens';
import type { ModelRegistry } from '../../kernel/model-registry';
import type { EntityOperations } from '../types';
import { ENTITY_OPERATIONS, MODEL_REGISTRY } from './tokens';

export interface CrudDependencies {
  config: AppConfig;
  operations: EntityOperations;
  models: ModelRegistry;
}

/**
 * Exports what the dynamic EntityController needs (APP_CONFIG, ENTITY_OPERATIONS, MODEL_REGISTRY), so
 * the app's controllers and the generated controllers, which delegate to an EntityController, share
 * one set of values.
 */
@Module({})
export class CrudDependenciesModule {
  static register(deps: CrudDependencies): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: deps.config },
      { provide: ENTITY_OPERATIONS, useValue: deps.operations },
      { provide: MODEL_REGISTRY, useValue: deps.models },
    ];
    return {
      module: CrudDependenciesModule,
      providers,
      exports: providers.map((provider) => provider.provide),
    };
  }
}
