// The screen pop of softphone.alerting (docs/cti.md): the customer card and the caller's last
// interactions, read from the message without trusting its shape. Either may be absent (an older
// server, or no CRM): the pop then shows what it has. Pure: no I/O.

/** The customer card of a pop; personal values come masked. */
export interface PopCustomer {
  id: string | null;
  name: string | null;
  phones: string[];
  idNumber: string | null;
  accounts: string[];
  /** The CRM could not be read: the card says so instead of "no record". */
  unavailable: boolean;
}

/** One earlier call of this caller. */
export interface PopInteraction {
  callId: string;
  atMs: number;
  queueId: string | null;
  agentId: string | null;
  cause: string | null;
  disposition: string | null;
  notes: string | null;
}

/** The most interactions a pop lists. */
export const MaxInteractions = 5;

const text = (o: Record<string, unknown>, key: string): string | null => (typeof o[key] === 'string' ? (o[key] as string) : null);
const texts = (o: Record<string, unknown>, key: string): string[] =>
  Array.isArray(o[key]) ? (o[key] as unknown[]).filter((v): v is string => typeof v === 'string') : [];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** @return the customer card of `value` (softphone.alerting's `customer`), or null for none. */
export function parseCustomer(value: unknown): PopCustomer | null {
  if (!isObject(value)) return null;
  return {
    id: text(value, 'id'),
    name: text(value, 'name'),
    phones: texts(value, 'phones'),
    idNumber: text(value, 'id_number'),
    accounts: texts(value, 'accounts'),
    unavailable: value.unavailable === true,
  };
}

/**
 * @return the interactions of `value` (softphone.alerting's `history`): entries without a call id
 * or time left out, newest first, at most MaxInteractions; [] when absent or not a list.
 */
export function parseHistory(value: unknown): PopInteraction[] {
  if (!Array.isArray(value)) return [];
  const out: PopInteraction[] = [];
  for (const entry of value) {
    if (!isObject(entry)) continue;
    const callId = text(entry, 'call_id');
    const atMs = entry.at_ms;
    if (!callId || typeof atMs !== 'number' || !Number.isFinite(atMs)) continue;
    out.push({
      callId,
      atMs,
      queueId: text(entry, 'queue_id'),
      agentId: text(entry, 'agent_id'),
      cause: text(entry, 'cause'),
      disposition: text(entry, 'disposition'),
      notes: text(entry, 'notes'),
    });
  }
  return out.sort((a, b) => b.atMs - a.atMs).slice(0, MaxInteractions);
}
