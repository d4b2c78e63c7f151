import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { entityMeta } from './api/entity-meta';
import { currentTokens } from './api/http';
import { useSession } from './stores/session';

/** Each screen is its own chunk so the first load carries only the shell and the list. */
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue') },
    { path: '/set-password', name: 'set-password', component: () => import('./views/SetPasswordView.vue') },
    {
      path: '/forgot-password',
      name: 'forgot-password',
      component: () => import('./views/ForgotPasswordView.vue'),
    },
    {
      path: '/',
      component: () => import('./views/ShellLayout.vue'),
      children: [
        { path: '', name: 'home', component: () => import('./views/HomeView.vue') },
        { path: 'e/:path', name: 'list', component: () => import('./views/ListView.vue') },
        { path: 'e/:path/board', name: 'board', component: () => import('./views/KanbanView.vue') },
        { path: 'e/:path/schedule', name: 'schedule', component: () => import('./views/ScheduleView.vue') },
        { path: 'e/:path/new', name: 'create', component: () => import('./views/FormView.vue') },
        { path: 'e/:path/:id', name: 'detail', component: () => import('./views/DetailView.vue') },
        { path: 'e/:path/:id/edit', name: 'edit', component: () => import('./views/FormView.vue') },
        { path: 'trace', name: 'trace', component: () => import('./views/TraceView.vue') },
        { path: 'shop-floor', name: 'shop-floor', component: () => import('./views/ShopFloorView.vue') },
        { path: 'dashboards/:name', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
        { path: 'studio', name: 'studio', component: () => import('./studio/StudioHome.vue') },
        {
          path: 'studio/:id',
          name: 'studio-change-set',
          component: () => import('./studio/ChangeSetEditor.vue'),
        },
        { path: 'inbox', name: 'inbox', component: () => import('./automation/InboxView.vue') },
        { path: 'admin/plugins', name: 'plugins', component: () => import('./views/admin/PluginsView.vue') },
        {
          path: 'admin/extension-fields',
          name: 'extension-fields',
          component: () => import('./views/admin/ExtensionFieldsView.vue'),
        },
        { path: ':unknown(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
      ],
    },
  ],
});

/**
 * Screens anyone may open: signing in, asking for a reset link, and choosing a password from an
 * invitation or reset link.
 */
const PUBLIC_SCREENS = new Set(['login', 'set-password', 'forgot-password']);

/**
 * The first screen's code and its entity's metadata, fetched while the session loads instead of after
 * it: the router would only start them once the guard let the navigation through.
 */
function warmUp(to: RouteLocationNormalized): Promise<unknown> {
  if (!currentTokens()) return Promise.resolve();
  const work: Promise<unknown>[] = to.matched
    .flatMap((record) => Object.values(record.components ?? {}))
    .filter((component) => typeof component === 'function')
    .map((load) => (load as () => Promise<unknown>)());
  if (typeof to.params.path === 'string') {
    const meta = entityMeta(to.params.path);
    work.push(meta);
    // A list's rows wait for the user's saved views (one may be the default): asked for as soon as the
    // entity's name is known, not once the screen has mounted. Navigation waits for the asking only.
    if (to.name === 'list')
      work.push(
        Promise.all([meta, import('./views/saved-views')]).then(([{ name }, views]) =>
          views.prefetchViews(name),
        ),
      );
  }
  return Promise.allSettled(work);
}

router.beforeEach(async (to) => {
  if (to.name === 'set-password' || to.name === 'forgot-password') return true;
  const session = useSession();
  if (!session.loaded) await Promise.all([session.load(), warmUp(to)]);
  if (!PUBLIC_SCREENS.has(String(to.name)) && !session.signedIn)
    return { name: 'login', query: { next: to.fullPath } };
  return true;
});
