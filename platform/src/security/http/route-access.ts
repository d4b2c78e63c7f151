/**
 * What the router decided about a request, as the security hooks read it. Authentication and the
 * guards look at the route the router matched (its template and decoded parameters), never at the raw
 * URL: `/%61pi/admin/plugins` and `/api/admin/plugins` reach the same route, so they must meet the same
 * checks. Every route is private unless it is declared public in its route config.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Anyone may call the route; see PUBLIC_ROUTE. */
    public?: boolean;
  }
}

/** Route config of a route anyone may call: login, refresh, health, the browser app, the API docs. */
export const PUBLIC_ROUTE = { public: true } as const;

/** One route of the router, as registered. */
export interface RegisteredRoute {
  method: string;
  url: string;
  public: boolean;
}

const routeTables = new WeakMap<FastifyInstance, RouteOptions[]>();

/**
 * Starts recording every route registered on the instance from now on (register before any route).
 * The table is what the route enumeration of the security tests walks.
 */
export function recordRoutes(fastify: FastifyInstance): void {
  const table: RouteOptions[] = [];
  routeTables.set(fastify, table);
  // The options object itself: onRoute hooks of inner scopes (declarePublicRoutes) run after this one.
  fastify.addHook('onRoute', (route: RouteOptions) => void table.push(route));
}

/** Every route registered since `recordRoutes`, in registration order. */
export function registeredRoutes(fastify: FastifyInstance): RegisteredRoute[] {
  return (routeTables.get(fastify) ?? []).flatMap((route) =>
    (Array.isArray(route.method) ? route.method : [route.method]).map((method) => ({
      method,
      url: route.url,
      public: (route.config as { public?: unknown } | undefined)?.public === true,
    })),
  );
}

/**
 * Marks every route registered inside this (encapsulated) scope as public — for plugins such as the
 * static file server that register routes of their own.
 */
export function declarePublicRoutes(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route: RouteOptions) => {
    route.config = { ...(route.config as object | undefined), ...PUBLIC_ROUTE };
  });
}

/** Whether the router matched a route declared public. Unmatched requests are not public. */
export function isPublicRoute(request: FastifyRequest): boolean {
  const config = request.routeOptions.config as { public?: unknown } | undefined;
  return request.routeOptions.url !== undefined && config?.public === true;
}

/**
 * The path as the router understood it: the matched template with its decoded parameters filled in
 * (`/api/:path/:id/actions/:action` → `/api/work-orders/7/actions/start`). Undefined when no route
 * matched. Guards that key on paths use this, so no spelling of a URL reaches a route unguarded.
 */
export function routedPath(request: FastifyRequest): string | undefined {
  const template = request.routeOptions.url;
  if (template === undefined) return undefined;
  const params = (request.params ?? {}) as Record<string, unknown>;
  return template.replace(/:([A-Za-z0-9_]+)|\*/g, (_token, name: string | undefined) =>
    String(params[name ?? '*'] ?? ''),
  );
}
