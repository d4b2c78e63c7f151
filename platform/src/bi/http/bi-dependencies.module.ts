import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { EngineDatabase } from '../../data/database';
import { AggregateEngine } from '../aggregate-engine';
import { AGGREGATE_ENGINE } from './tokens';

/**
 * Re-exports the CRUD dependencies and adds the AggregateEngine, so the aggregate route declared by
 * the generated controllers and the dynamic one share one engine. Without a database no engine is
 * provided and the aggregate routes answer 404.
 */
@Module({})
export class BiDependenciesModule {
  static register(
    crud: Type<unknown> | DynamicModule,
    database: EngineDatabase | undefined,
    useRollups = true,
  ): DynamicModule {
    const providers = database
      ? [{ provide: AGGREGATE_ENGINE, useValue: new AggregateEngine(database, useRollups) }]
      : [];
    return {
      module: BiDependenciesModule,
      imports: [crud],
      providers,
      exports: [crud, ...providers.map((provider) => provider.provide)],
    };
  }
}
