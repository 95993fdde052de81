// Which screen a user sees: the screens each role may open and the hash routes that name them.
import type { Role } from '../api';

/** A screen of the app. */
export type Screen = 'desktop' | 'wallboard' | 'admin';

/** The admin pages. */
export type AdminPage = 'users' | 'agents' | 'skills' | 'queues' | 'entry-points';

/** Every admin page, in menu order. */
export const AdminPages: readonly AdminPage[] = ['users', 'agents', 'skills', 'queues', 'entry-points'];

/** A place in the app. */
export interface Route {
  screen: Screen;
  adminPage: AdminPage;
}

/** @return the screens `role` may open, its home first. */
export function screensFor(role: Role): Screen[] {
  switch (role) {
    case 'agent':
      return ['desktop'];
    case 'supervisor':
      return ['wallboard', 'desktop'];
    case 'admin':
      return ['admin', 'wallboard'];
    case 'auditor':
      return [];
  }
}

/** @return the route a hash names (`#/admin/queues`), or the role's home when it names none it may open; null for a role with no screen. */
export function parseRoute(hash: string, role: Role): Route | null {
  const screens = screensFor(role);
  const home = screens[0];
  if (!home) return null;
  const parts = hash.replace(/^#\/?/, '').split('/');
  const wanted = parts[0] as Screen;
  const screen = screens.includes(wanted) ? wanted : home;
  const page = parts[1] as AdminPage;
  return { screen, adminPage: screen === 'admin' && AdminPages.includes(page) ? page : 'users' };
}

/** @return the hash of a route. */
export function routeHash(route: Route): string {
  return route.screen === 'admin' ? `#/admin/${route.adminPage}` : `#/${route.screen}`;
}
