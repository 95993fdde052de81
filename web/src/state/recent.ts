// The agent's own recent calls, kept in this browser: the desktop shows the ones with the same
// (masked) caller in the screen pop, as the API has no per-customer history yet.
import type { KeyValueStore } from '../i18n';

/** One wrapped-up call. */
export interface RecentCall {
  callId: string;
  caller: string | null;
  endedAtMs: number;
  disposition: string;
  notes: string;
}

const StorageKey = 'kefu.recentCalls';

/** How many calls are kept. */
export const RecentCallLimit = 50;

/** @return the stored calls, newest first; a damaged store reads as none. */
export function loadRecentCalls(store: KeyValueStore): RecentCall[] {
  try {
    const value: unknown = JSON.parse(store.getItem(StorageKey) ?? '[]');
    return Array.isArray(value) ? (value.filter((v) => typeof v === 'object' && v !== null && typeof v.callId === 'string') as RecentCall[]) : [];
  } catch {
    return [];
  }
}

/** Stores `call` first (replacing an entry of the same call); @return the list now. */
export function addRecentCall(store: KeyValueStore, call: RecentCall): RecentCall[] {
  const list = [call, ...loadRecentCalls(store).filter((c) => c.callId !== call.callId)].slice(0, RecentCallLimit);
  store.setItem(StorageKey, JSON.stringify(list));
  return list;
}
