// The logged-in user, kept in localStorage so a reload stays logged in.
import type { User } from './api';

/** A login. */
export interface Session {
  token: string;
  user: User;
}

const StorageKey = 'kefu.session';

/** @return the stored login, or null. */
export function loadSession(): Session | null {
  try {
    const raw = window.localStorage.getItem(StorageKey);
    if (!raw) return null;
    const value = JSON.parse(raw) as Session;
    return typeof value.token === 'string' && typeof value.user?.role === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Stores (or, with null, forgets) the login. */
export function saveSession(session: Session | null): void {
  if (session) window.localStorage.setItem(StorageKey, JSON.stringify(session));
  else window.localStorage.removeItem(StorageKey);
}
