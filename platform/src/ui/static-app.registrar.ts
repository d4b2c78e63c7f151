import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { registerStaticApp } from './static-app';

/** Hooks the built browser app into the Fastify instance while Nest initialises, before listen. */
@Injectable()
export class StaticAppRegistrar implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    await registerStaticApp(fastify);
  }
}
