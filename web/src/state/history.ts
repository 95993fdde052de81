// What the desktop saw of each call on the event stream, so the screen pop can show a call's way
// so far (queued, rung elsewhere, transferred) to an agent, who may not read GET /calls/{id}/events
// (admin, supervisor and auditor only). Bounded: the oldest calls are forgotten first.
import type { CallEvent } from '../api';
import type { StreamMessage } from './call';

/** Calls remembered. */
export const HistoryCallLimit = 200;
/** Events remembered per call. */
export const HistoryEventLimit = 50;

/** Call id → its events in arrival order (a Map keeps insertion order: oldest call first). */
export type CallHistory = Map<string, CallEvent[]>;

/** @return `value[key]` when it is a string, else null. */
function str(value: unknown, key: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : null;
}

/** Adds a `call.*` message to `history` (in place); other messages are ignored. @return whether it was added. */
export function recordCallEvent(history: CallHistory, message: StreamMessage): boolean {
  if (!message.type.startsWith('call.')) return false;
  const data = message.data;
  const callId = str(data, 'call_id') ?? message.id ?? null;
  if (!callId) return false;
  const event: CallEvent = {
    type: message.type.slice('call.'.length),
    at: new Date(typeof message.at_ms === 'number' ? message.at_ms : 0).toISOString(),
    caller: str(data, 'caller'),
    queue_id: str(data, 'queue_id'),
    agent_id: str(data, 'agent_id'),
    target: str(data, 'target'),
    cause: str(data, 'cause'),
    detail: str(data, 'detail'),
  };
  const events = history.get(callId);
  if (events) {
    if (events.length < HistoryEventLimit) events.push(event);
    return true;
  }
  history.set(callId, [event]);
  while (history.size > HistoryCallLimit) {
    const oldest = history.keys().next().value;
    if (oldest === undefined) break;
    history.delete(oldest);
  }
  return true;
}
