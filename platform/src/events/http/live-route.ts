/**
 * `GET /api/live`: a Server-Sent Events stream of the messages published to the caller's user, to
 * each of their roles and to their tenant. Authenticated like every API route (a bearer token; the
 * browser reads the stream with fetch). The stream opens with a `ready` event and carries a comment
 * every heartbeat so proxies keep it open; it ends when the client goes or the server closes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOfRequest } from '../../security/http/request-principal';
import type { Principal } from '../../security/principal';
import { liveTopic, type LiveChannel, type LiveMessage } from '../live-channel';

export const LIVE_ROUTE = '/api/live';
const DEFAULT_HEARTBEAT_MS = 25_000;

export interface LiveRouteOptions {
  heartbeatMs?: number;
}

/** The topics a principal's stream listens to. */
export function topicsOf(principal: Principal): string[] {
  const tenantId = principal.tenantId;
  return [
    liveTopic({ tenantId, kind: 'tenant' }),
    liveTopic({ tenantId, kind: 'user', userId: principal.userId }),
    ...principal.roles.map((role) => liveTopic({ tenantId, kind: 'role', role })),
  ];
}

/** One SSE frame; `data` is JSON on one line, so no line of it can end the frame early. */
export function sseFrame(message: LiveMessage): string {
  return `event: ${message.event}\ndata: ${JSON.stringify(message.data ?? null)}\n\n`;
}

export function registerLiveRoute(
  fastify: FastifyInstance,
  channel: LiveChannel,
  options: LiveRouteOptions = {},
): void {
  const open = new Set<() => void>();
  // Streams never end by themselves: close them first, or the server's close would wait for them.
  fastify.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });
  fastify.get(LIVE_ROUTE, (request: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOfRequest(request);
    // The authentication hook refused every request without a principal before it got here.
    if (!principal) throw new Error('live stream reached without a principal');
    reply.hijack();
    const raw = reply.raw;
    // The headers the security and trace hooks set on the reply are not sent by a hijacked reply.
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) raw.setHeader(name, value);
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(sseFrame({ event: 'ready', data: { userId: principal.userId, tenantId: principal.tenantId } }));
    const unsubscribe = channel.subscribe(topicsOf(principal), (message) => raw.write(sseFrame(message)));
    const heartbeat = setInterval(
      () => raw.write(': keep-alive\n\n'),
      options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    heartbeat.unref();
    const end = () => {
      if (!open.delete(end)) return;
      clearInterval(heartbeat);
      unsubscribe();
      raw.end();
    };
    open.add(end);
    request.raw.on('close', end);
    raw.on('close', end);
  });
}
