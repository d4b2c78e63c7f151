import { Controller, Get, HttpCode, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RouteConfig } from '@nestjs/platform-fastify';
import { successEnvelope } from '../crud/http/envelope';
import { PUBLIC_ROUTE } from '../security/http/route-access';

/** A dependency the server needs to serve traffic (database, Redis). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when reachable; rejects (or times out) otherwise. */
  check(): Promise<void>;
  /**
   * The instance serves without it, degraded (Redis: events wait in the outbox, Model changes sync
   * when it returns): reported as down with `status: 'degraded'`, readiness stays 200.
   */
  optional?: boolean;
}

export const READINESS_CHECKS = Symbol('ReadinessChecks');
const CHECK_TIMEOUT_MS = 2000;

/** `GET /health`: the process is alive. `GET /health/ready`: every dependency answers (else 503). */
@Controller('health')
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get()
  @RouteConfig(PUBLIC_ROUTE)
  @HttpCode(200)
  live(@Req() request: FastifyRequest) {
    return successEnvelope(
      { status: 'ok', uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) },
      request.id,
    );
  }

  @Get('ready')
  @RouteConfig(PUBLIC_ROUTE)
  async ready(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { ready, data } = await readinessReport(this.checks);
    const body = ready
      ? successEnvelope(data, request.id)
      : {
          code: 'SERVICE_UNAVAILABLE',
          message: 'A dependency is unreachable',
          data,
          timestamp: new Date().toISOString(),
          traceId: request.id,
        };
    await reply.status(ready ? 200 : 503).send(body);
  }
}

/** Runs every check at once, each bounded by a timeout. */
export async function readinessReport(checks: readonly ReadinessCheck[]) {
  const results = await Promise.all(checks.map((c) => runCheck(c)));
  const ready = results.every((r, index) => r.status === 'up' || checks[index].optional);
  const degraded = ready && results.some((r) => r.status !== 'up');
  return {
    ready,
    data: { status: ready ? (degraded ? 'degraded' : 'ready') : 'not_ready', checks: results },
  };
}

async function runCheck(
  check: ReadinessCheck,
): Promise<{ name: string; status: 'up' | 'down'; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check.check(), timeout]);
    return { name: check.name, status: 'up' };
  } catch (error) {
    return { name: check.name, status: 'down', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
