/**
 * Structured JSON logs (pino). Fastify logs every request with `traceId` (the request id), and the
 * Nest logger adapter routes framework messages through the same pino instance, so one stream
 * carries everything. A developer at a terminal reads the same records pretty-printed (pino-pretty).
 */
import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import type pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/app-config';

/**
 * `auto`: pretty when the records go to stdout, stdout is a terminal and NODE_ENV is not
 * `production`; JSON lines otherwise (files, pipes, log collectors, containers without a TTY).
 */
export function resolveLogFormat(
  format: LogFormat,
  target: { stdout: boolean; isTTY: boolean; production: boolean },
): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return target.stdout && target.isTTY && !target.production ? 'pretty' : 'json';
}

export function createLogger(
  level: LogLevel,
  destination?: DestinationStream,
  format: LogFormat = 'auto',
): Logger {
  const options = {
    level,
    base: { service: 'btc-mes' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
  };
  const resolved = resolveLogFormat(format, {
    stdout: destination === undefined,
    isTTY: process.stdout.isTTY === true,
    production: process.env.NODE_ENV === 'production',
  });
  if (resolved === 'pretty')
    return pino(
      options,
      prettyPrinter()({
        destination: destination ?? 1,
        colorize: destination === undefined && process.stdout.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        sync: true,
      }),
    );
  return destination ? pino(options, destination) : pino(options);
}

/** pino-pretty (about 10 MB resident) is loaded only where logs are pretty-printed. */
function prettyPrinter(): typeof pretty {
  return (require('pino-pretty') as { default: typeof pretty }).default;
}

/** Nest's LoggerService on top of pino: Nest's `context` becomes a structured field. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, stack: trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
