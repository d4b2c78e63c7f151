import type { Logger } from 'pino';
import type { EntityService } from '../crud/entity.service';
import type { EntityOperations } from '../crud/types';
import type { EngineDatabase } from '../data/database';
import type { ModelRegistry } from '../kernel/model-registry';
import { registerAuditHooks } from '../audit/audit-hooks';
import { registerPermissionAudit } from './audit/permission-audit';
import { PrincipalInvalidations } from './auth/principal-invalidations';
import { registerPrincipalInvalidation } from './principal-invalidation-hooks';
import { AuthService } from './auth/auth.service';
import { CredentialVerifier } from './auth/credentials';
import { LoginThrottle, loginThrottlePolicy } from './auth/login-throttle';
import { SqlLoginThrottleStore } from './auth/login-throttle-store';
import { FallbackLoginThrottleStore } from './auth/fallback-login-throttle-store';
import { RedisLoginThrottleStore } from './auth/redis-login-throttle-store';
import { Mailer, mailSettingsFromEnv } from '../notify/mailer';
import { NotificationStore } from '../notify/notification-store';
import { seedDemoSecurity } from './demo-seed';
import type { SecurityHttpOptions } from './http/register-security';
import { loadJwtSecret } from './jwt-secret';
import { SecureEntityOperations } from './secure-operations';
import { unsealableSensitiveFields } from './crypto/sensitive-fields';

/** The `rule` of the delivery-log rows of self-service password reset e-mails. */
export const PASSWORD_RESET_MAIL = 'password_reset';

export interface SecurityBootstrapInput {
  env: NodeJS.ProcessEnv;
  service: EntityService;
  database: EngineDatabase;
  registry: ModelRegistry;
  defaultTenant: string;
  seedDemo: boolean;
  logger: Logger;
}

export interface SecurityBootstrap {
  /** What the HTTP layer calls: the engine behind authorization and redaction. */
  operations: EntityOperations;
  /** Options for registerSecurity. */
  http: SecurityHttpOptions;
  /** The password check of sign-ins and e-signatures, behind one throttle. */
  credentials: CredentialVerifier;
  /**
   * Changes to principals that make older access tokens stale; `follow(live)` announces this
   * instance's on the live channel and applies the other instances' (through Redis when configured).
   */
  invalidations: PrincipalInvalidations;
  /** Releases the throttle's Redis connection, if any. */
  close(): Promise<void>;
}

/**
 * Security at startup: audit every EntityService write and every permission change (when the Model
 * has the audit_log entity),
 * then wrap the engine in SecureEntityOperations, set up login, and seed the demo roles and users when
 * demo data is wanted. A generated demo password is printed once. `MES_AUTH=off` (refused in
 * production) lets requests without a token act as the development administrator.
 */
export async function bootstrapSecurity(input: SecurityBootstrapInput): Promise<SecurityBootstrap> {
  const { env, service, database, registry, logger } = input;
  const production = env.NODE_ENV === 'production';
  const unsealable = unsealableSensitiveFields(registry.current());
  if (unsealable.length > 0)
    throw new Error(
      `sensitive: true needs a string or text column to hold ciphertext; not possible for ${unsealable.join(', ')}`,
    );
  if (registry.current().entities.has('audit_log')) {
    registerAuditHooks(service.hooks);
    registerPermissionAudit(service.hooks);
  }
  const developmentAccess = env.MES_AUTH === 'off';
  if (developmentAccess) {
    if (production) throw new Error('MES_AUTH=off is not allowed with NODE_ENV=production');
    logger.warn(
      'MES_AUTH=off: requests without a token act as the development administrator in the tenant of X-Tenant-ID',
    );
  }
  const policy = loginThrottlePolicy(env);
  const apiPerMinute = perMinute(env, 'MES_RATE_LIMIT_API', 1200);
  const loginPerMinute = perMinute(env, 'MES_RATE_LIMIT_LOGIN', 10);
  const jwtSecret = loadJwtSecret(env, undefined, (message) => logger.warn(message));
  const publicUrl = publicUrlOf(env);
  if (input.seedDemo && !production && registry.current().entities.has('user')) {
    const seeded = await seedDemoSecurity(database, registry.current(), input.defaultTenant, env);
    if (seeded.created.length > 0) logger.info({ users: seeded.created }, 'demo users created');
    if (seeded.generatedPassword)
      process.stdout.write(
        `\nDemo users (${seeded.created.join(', ')}) password, shown once: ${seeded.generatedPassword}\n\n`,
      );
  }
  const corsOrigins = (env.MES_CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
  const operations = new SecureEntityOperations(service);
  // Made last, once nothing else can fail: with REDIS_URL it holds a connection until close().
  const redisUrl = env.REDIS_URL?.trim();
  const store = redisUrl
    ? new FallbackLoginThrottleStore(
        new RedisLoginThrottleStore(redisUrl, env.QUEUE_PREFIX?.trim() || 'mes'),
        new SqlLoginThrottleStore(database),
        (error) => logger.warn({ err: error }, 'login throttle: Redis unreachable, counting in the database'),
      )
    : new SqlLoginThrottleStore(database);
  const credentials = new CredentialVerifier(
    database,
    () => registry.current(),
    new LoginThrottle(store, policy),
  );
  // Unlocking an account also lifts the lockouts of the clients that guessed at its password.
  const forgetFailuresOnUnlock = service.hooks.on(
    'after',
    { entity: 'user', action: 'transition' },
    async ({ record, transition, ctx }) => {
      if (transition?.action === 'unlock' && typeof record.username === 'string')
        await credentials.forgetFailures(ctx.tenantId, record.username);
    },
  );
  const accessTtlSeconds = positiveInteger(env, 'MES_ACCESS_TOKEN_SECONDS', 15 * 60);
  const invalidations = new PrincipalInvalidations(database, {
    // A minute beyond the token lifetime covers clocks a little apart.
    retainMs: (accessTtlSeconds + 60) * 1000,
    reloadMs: positiveInteger(env, 'MES_PRINCIPAL_RELOAD_SECONDS', 10) * 1000,
    onError: (error) => logger.warn({ err: error }, 'principal invalidations could not be read'),
  });
  await invalidations.start();
  const forgetInvalidationHooks = registerPrincipalInvalidation(service.hooks, invalidations);
  const mailSettings = mailSettingsFromEnv(env);
  const mailer = mailSettings ? new Mailer(mailSettings) : null;
  const auth = new AuthService(database, () => registry.current(), {
    jwtSecret,
    credentials,
    mail: mailer && {
      mailer,
      publicUrl,
      onError: (error, failed) => {
        logger.warn({ err: error, username: failed.username }, 'password reset e-mail could not be sent');
        // Administrators see it in the delivery log (GET /api/automation/deliveries).
        void new NotificationStore()
          .logDelivery(database.executor(), failed.tenantId, {
            notificationId: null,
            rule: PASSWORD_RESET_MAIL,
            channel: 'email',
            recipient: failed.email ?? failed.username,
            status: 'FAILED',
            error: error instanceof Error ? error.message : String(error),
          })
          .catch((logError: unknown) => logger.error({ err: logError }, 'delivery log write failed'));
      },
    },
    accessTtlSeconds,
    invalidations,
    session: {
      idleMinutes: positiveInteger(env, 'MES_IDLE_TIMEOUT_MINUTES', 30, true),
      shopFloorIdleMinutes: positiveInteger(env, 'MES_SHOP_FLOOR_IDLE_MINUTES', 12 * 60, true),
    },
  });
  return {
    operations,
    http: {
      auth,
      developmentAccess,
      defaultTenant: input.defaultTenant,
      corsOrigins,
      redisUrl: env.REDIS_URL?.trim() || null,
      redisPrefix: env.QUEUE_PREFIX?.trim() || 'mes',
      apiPerMinute,
      loginPerMinute,
      records: { models: registry, operations, database },
    },
    credentials,
    invalidations,
    close: async () => {
      forgetFailuresOnUnlock();
      forgetInvalidationHooks();
      await invalidations.close();
      mailer?.close();
      await credentials.close();
    },
  };
}

/**
 * Origin of the browser app in links sent by e-mail: `MES_PUBLIC_URL`, else this server on `PORT`.
 * Never taken from a request's Host header, which a caller could forge into a reset e-mail.
 */
function publicUrlOf(env: NodeJS.ProcessEnv): string {
  const configured = env.MES_PUBLIC_URL?.trim();
  if (!configured) return `http://localhost:${env.PORT?.trim() || '8080'}`;
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    throw new Error(`MES_PUBLIC_URL must be an absolute http(s) URL; got '${configured}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`MES_PUBLIC_URL must be an absolute http(s) URL; got '${configured}'`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** A whole number from the environment; `allowZero` lets 0 switch the setting off. */
function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, allowZero = false): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1))
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer; got '${raw}'`);
  return value;
}

function perMinute(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer (requests per minute per client); got '${raw}'`);
  return value;
}
