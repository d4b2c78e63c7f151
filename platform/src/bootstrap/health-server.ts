/**
 * The worker's HTTP surface: `/health` (alive) and `/health/ready` (every dependency answers, else
 * 503), so orchestrators probe a worker the way they probe an API instance. Nothing else is served.
 */
import fastify from 'fastify';
import type { AppConfig } from '../config/app-config';
import { readinessReport, type ReadinessCheck } from '../ops/health.controller';

export async function startHealthServer(
  config: AppConfig,
  checks: readonly ReadinessCheck[],
): Promise<{ port: number | null; close(): Promise<void> }> {
  const server = fastify({ logger: false });
  const startedAt = Date.now();
  server.get('/health', async () => ({
    code: 'OK',
    data: { status: 'ok', role: 'worker', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) },
  }));
  server.get('/health/ready', async (_request, reply) => {
    const report = await readinessReport(checks);
    return reply.status(report.ready ? 200 : 503).send({
      code: report.ready ? 'OK' : 'SERVICE_UNAVAILABLE',
      data: report.data,
    });
  });
  await server.listen({ port: config.port, host: config.host });
  const address = server.server.address();
  return {
    port: address && typeof address === 'object' ? address.port : null,
    close: () => server.close(),
  };
}
