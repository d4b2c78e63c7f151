/**
 * JSON request bodies through Fastify's own parser (prototype and constructor poisoning refused),
 * except that an empty body means an empty object: many clients send `Content-Type:
 * application/json` with no body on bodiless actions, and that is no reason for a 400.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RawServerDefault } from 'fastify';

export function useJsonBody(app: NestFastifyApplication, bodyLimit: number): void {
  const parseJson = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    if (body.length === 0) {
      done(null, {});
      return;
    }
    parseJson(request, body.toString('utf8'), done);
  });
}
