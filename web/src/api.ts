// The REST API under /api/v1 (docs/api/openapi.yaml): its shapes and one fetch wrapper.

/** A user's role. */
export type Role = 'admin' | 'supervisor' | 'agent' | 'auditor';

/** A person who logs in. */
export interface User {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

/** An agent's skill. */
export interface SkillLevel {
  skill_id: string;
  level: number;
}

/** Someone interactions are routed to. */
export interface Agent {
  id: string;
  name: string;
  extension: string;
  user_id: string | null;
  skills: SkillLevel[];
  chat_capacity: number;
  created_at: string;
  updated_at: string;
}

/** Something agents can do and queues require. */
export interface Skill {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
}

/** A skill a queue needs. */
export interface SkillRequirement {
  skill_id: string;
  min_level: number;
}

/** Where interactions wait. */
export interface Queue {
  id: string;
  name: string;
  strategy: string;
  service_level_seconds: number;
  required_skills: SkillRequirement[];
  /** Kept as they came: the admin form sends them back unchanged. */
  relaxation: unknown[];
  max_size: number;
  overflow: unknown[];
  wrap_up_ms: number;
  alert_timeout_ms: number;
  sticky_window_ms: number;
  callback_timeout_ms: number;
  short_abandon_ms: number;
  callback_enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** Where a call or a transfer goes. */
export interface CallTarget {
  kind: 'queue' | 'extension' | 'number' | 'announcement' | 'agent';
  id: string;
}

/** A dialed number and where its calls go. */
export interface EntryPoint {
  id: string;
  number: string;
  name: string;
  target: CallTarget;
  greeting: string | null;
  priority: number;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** The routing engine's view of an agent. */
export type AgentStateName = 'logged_out' | 'ready' | 'not_ready' | 'reserved' | 'busy' | 'wrap_up';

/** GET /agents/{id}/state. */
export interface AgentLiveState {
  agent_id: string;
  state: AgentStateName;
  reason: string | null;
  interactions: number;
}

/** Today's figures of a queue. */
export interface QueueToday {
  offered: number;
  answered: number;
  abandoned: number;
  overflowed: number;
  service_level: number | null;
  abandon_rate: number | null;
  average_speed_of_answer_ms: number | null;
  average_handle_ms: number | null;
}

/** GET /queues/{id}/live. */
export interface QueueLive {
  queue_id: string;
  waiting: number;
  callbacks_pending: number;
  longest_wait_ms: number;
  agents_staffed: number;
  agents_ready: number;
  today: QueueToday;
}

/** One interval of GET /queues/{id}/figures. */
export interface QueueInterval {
  start_ms: number;
  end_ms: number;
  offered: number;
  answered: number;
  answered_within_threshold: number;
  abandoned: number;
  short_abandoned: number;
  service_level: number | null;
  average_speed_of_answer_ms: number | null;
  average_handle_ms: number | null;
}

/** GET /queues/{id}/figures. */
export interface QueueFigures {
  queue_id: string;
  interval_seconds: number;
  from_ms: number;
  to_ms: number;
  intervals: QueueInterval[];
}

/** A customer as the vault shows it (masked unless revealed). */
export interface Customer {
  id: string;
  name: string;
  phones: string[];
  id_number: string | null;
  accounts: string[];
  masked?: boolean;
}

/** One stored event of a call (GET /calls/{id}/events). */
export interface CallEvent {
  type: string;
  at: string;
  caller: string | null;
  queue_id: string | null;
  agent_id: string | null;
  target: string | null;
  cause: string | null;
  detail: string | null;
}

/** A list answer. */
export interface List<T> {
  items: T[];
  count: number;
}

/** POST /auth/login. */
export interface LoginResponse {
  token: string;
  expires_at: string;
  user: User;
}

/** A failed API call, with the API's error body when it sent one. */
export class ApiError extends Error {
  /** @param status the HTTP status (0: no answer). */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

/** @return the ApiError an answer's status and body describe; never throws on a bad body. */
export function errorFromBody(status: number, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === 'object' && error !== null) {
      const e = error as Record<string, unknown>;
      return new ApiError(
        status,
        typeof e.code === 'string' ? e.code : 'unknown',
        typeof e.message === 'string' ? e.message : `HTTP ${status}`,
        typeof e.field === 'string' ? e.field : null,
      );
    }
  }
  return new ApiError(status, 'unknown', `HTTP ${status}`, null);
}

/**
 * The form field an API error belongs to: `skills[2].level` → `skills`, `target.id` → `target`.
 * @return the top-level field name, or null when the error names none.
 */
export function formFieldOf(field: string | null): string | null {
  if (!field) return null;
  const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(field);
  return match ? match[0] : null;
}

let token: string | null = null;
let onUnauthenticated: (() => void) | null = null;

/** Sets the bearer token later calls send (null: none). */
export function setToken(value: string | null): void {
  token = value;
}

/** @return the bearer token in use. */
export function currentToken(): string | null {
  return token;
}

/** Calls `handler` when an answer says the token no longer works (401). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

/** @return the decoded JSON answer of `method path`; throws ApiError on a non-2xx answer. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'unavailable', e instanceof Error ? e.message : String(e), null);
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && path !== '/auth/login') onUnauthenticated?.();
    throw errorFromBody(response.status, parsed);
  }
  return parsed as T;
}

/** The usual calls, typed. */
export const Api = {
  login: (username: string, password: string) =>
    api<LoginResponse>('POST', '/auth/login', { username, password }),
  logout: () => api<void>('POST', '/auth/logout'),
  me: () => api<User>('GET', '/auth/me'),
  agents: () => api<List<Agent>>('GET', '/agents'),
  queues: () => api<List<Queue>>('GET', '/queues'),
  skills: () => api<List<Skill>>('GET', '/skills'),
  agentState: (id: string) => api<AgentLiveState>('GET', `/agents/${id}/state`),
  queueLive: (id: string) => api<QueueLive>('GET', `/queues/${id}/live`),
  queueFigures: (id: string, fromMs: number, toMs: number, intervalS: number) =>
    api<QueueFigures>('GET', `/queues/${id}/figures?from=${fromMs}&to=${toMs}&interval=${intervalS}`),
  callEvents: (id: string) => api<List<CallEvent>>('GET', `/calls/${id}/events`),
};

/**
 * @return a function that returns its list of T's keys unchanged; the compiler refuses a list that
 * names a key T does not have, or leaves one out (the missing key shows in the error).
 */
function fieldsOf<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K,
    ..._complete: [Exclude<keyof T, K[number]>] extends [never] ? [] : [missing: Exclude<keyof T, K[number]>]
  ): readonly string[] => keys;
}

/**
 * The fields of each API type above, at run time, by the name of its schema in
 * docs/api/openapi.yaml (a nested schema as `Schema.property`): api.test.ts checks them against
 * the document, so a renamed or removed field fails a test instead of showing blanks.
 */
export const ApiFields: Record<string, readonly string[]> = {
  User: fieldsOf<User>()(['id', 'username', 'display_name', 'role', 'created_at', 'updated_at']),
  Agent: fieldsOf<Agent>()(['id', 'name', 'extension', 'user_id', 'skills', 'chat_capacity', 'created_at', 'updated_at']),
  SkillLevel: fieldsOf<SkillLevel>()(['skill_id', 'level']),
  Skill: fieldsOf<Skill>()(['id', 'name', 'description', 'created_at', 'updated_at']),
  SkillRequirement: fieldsOf<SkillRequirement>()(['skill_id', 'min_level']),
  Queue: fieldsOf<Queue>()([
    'id', 'name', 'strategy', 'service_level_seconds', 'required_skills', 'relaxation', 'max_size', 'overflow',
    'wrap_up_ms', 'alert_timeout_ms', 'sticky_window_ms', 'callback_timeout_ms', 'short_abandon_ms',
    'callback_enabled', 'created_at', 'updated_at',
  ]),
  CallTarget: fieldsOf<CallTarget>()(['kind', 'id']),
  EntryPoint: fieldsOf<EntryPoint>()(['id', 'number', 'name', 'target', 'greeting', 'priority', 'enabled', 'created_at', 'updated_at']),
  AgentLiveState: fieldsOf<AgentLiveState>()(['agent_id', 'state', 'reason', 'interactions']),
  QueueLiveState: fieldsOf<QueueLive>()(['queue_id', 'waiting', 'callbacks_pending', 'longest_wait_ms', 'agents_staffed', 'agents_ready', 'today']),
  'QueueLiveState.today': fieldsOf<QueueToday>()([
    'offered', 'answered', 'abandoned', 'overflowed', 'service_level', 'abandon_rate', 'average_speed_of_answer_ms', 'average_handle_ms',
  ]),
  QueueFigures: fieldsOf<QueueFigures>()(['queue_id', 'interval_seconds', 'from_ms', 'to_ms', 'intervals']),
  'QueueFigures.intervals': fieldsOf<QueueInterval>()([
    'start_ms', 'end_ms', 'offered', 'answered', 'answered_within_threshold', 'abandoned', 'short_abandoned',
    'service_level', 'average_speed_of_answer_ms', 'average_handle_ms',
  ]),
  Customer: fieldsOf<Customer>()(['id', 'name', 'phones', 'id_number', 'accounts', 'masked']),
  CallEvent: fieldsOf<CallEvent>()(['type', 'at', 'caller', 'queue_id', 'agent_id', 'target', 'cause', 'detail']),
  LoginResponse: fieldsOf<LoginResponse>()(['token', 'expires_at', 'user']),
};

/** The types above that leave out fields of their schema the app does not read. */
export const PartialApiTypes: readonly string[] = ['QueueFigures.intervals', 'Customer', 'CallEvent'];
