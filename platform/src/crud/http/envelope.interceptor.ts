import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { successEnvelope, type SuccessEnvelope } from './envelope';

/** Wraps every handler result in the success envelope carrying the request's traceId. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<SuccessEnvelope<unknown>> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return next.handle().pipe(map((data: unknown) => successEnvelope(data ?? null, request.id)));
  }
}
