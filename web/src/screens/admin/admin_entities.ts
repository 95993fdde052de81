// What each admin page edits: its API path, table columns, form fields, and the conversions
// between an entity and the form (kept pure, so tests can check the bodies sent).
import type { ReactNode } from 'react';
import type { Agent, Queue, Skill, User } from '../../api';
import type { MessageKey } from '../../i18n';
import type { AdminPage } from '../../state/route';

/** What the pickers choose from. */
export interface Directory {
  users: User[];
  skills: Skill[];
  queues: Queue[];
  agents: Agent[];
}

/** The form's values: strings for inputs, booleans for boxes, lists for skill levels. */
export type FormValues = Record<string, unknown>;

/** One skill with a level in a form. */
export interface LevelItem {
  id: string;
  level: string;
}

/** A form field; its name is the API's field name, so a 400's `field` finds it. */
export type FieldDef = {
  name: string;
  label: MessageKey;
  labelWhenEditing?: MessageKey;
  createOnly?: boolean;
} & (
  | { kind: 'text' | 'password' | 'number' | 'checkbox' | 'levels' }
  | { kind: 'select'; options: (d: Directory) => { value: string; label: string }[] }
);

type Row = { id: string } & Record<string, unknown>;

/** One admin page. */
export interface EntityDef {
  path: string;
  /** The event stream's entity name (`entry_point` for `entry_point.updated`). */
  event: string;
  label: (row: Row) => string;
  columns: { label: MessageKey; render: (row: Row, d: Directory) => ReactNode }[];
  fields: FieldDef[];
  toForm: (row: Row | null) => FormValues;
  toBody: (form: FormValues, original: Row | null) => Record<string, unknown>;
}

/** @return the form text as a number when it is one, else the text (the API's 400 then names the field). */
export function numberOrText(value: unknown): number | string | null {
  const text = String(value ?? '').trim();
  if (text === '') return null;
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** @return the text, or null when empty. */
function textOrNull(value: unknown): string | null {
  const text = String(value ?? '');
  return text === '' ? null : text;
}

/** @return skill-level rows as the API takes them, rows without a skill left out. */
export function levelsToBody(items: unknown, levelKey: 'level' | 'min_level'): Record<string, unknown>[] {
  if (!Array.isArray(items)) return [];
  return (items as LevelItem[]).filter((i) => i.id !== '').map((i) => ({ skill_id: i.id, [levelKey]: numberOrText(i.level) }));
}

const name = (d: Directory, id: unknown, list: 'skills' | 'queues' | 'users') => {
  const found = (d[list] as { id: string; name?: string; username?: string }[]).find((x) => x.id === id);
  return found ? (found.name ?? found.username ?? String(id)) : String(id ?? '—');
};

const Roles = ['agent', 'supervisor', 'admin', 'auditor'];
const Strategies = ['longest_idle', 'least_occupied', 'round_robin', 'ring_all', 'skills_best_match'];
const TargetKinds = ['queue', 'extension', 'number', 'announcement'];

/** Every admin page's definition. */
export const Entities: Record<AdminPage, EntityDef> = {
  users: {
    path: '/users',
    event: 'user',
    label: (r) => String(r.username),
    columns: [
      { label: 'field.username', render: (r) => String(r.username) },
      { label: 'field.display_name', render: (r) => String(r.display_name) },
      { label: 'field.role', render: (r) => String(r.role) },
    ],
    fields: [
      { name: 'username', label: 'field.username', kind: 'text' },
      { name: 'display_name', label: 'field.display_name', kind: 'text' },
      { name: 'role', label: 'field.role', kind: 'select', options: () => Roles.map((r) => ({ value: r, label: r })) },
      { name: 'password', label: 'field.password', labelWhenEditing: 'field.passwordKeep', kind: 'password' },
    ],
    toForm: (r) => ({ username: r?.username ?? '', display_name: r?.display_name ?? '', role: r?.role ?? 'agent', password: '' }),
    toBody: (f, original) => {
      const body: Record<string, unknown> = { username: f.username, display_name: f.display_name, role: f.role };
      const password = textOrNull(f.password);
      if (password !== null || !original) body.password = password ?? '';
      return body;
    },
  },
  agents: {
    path: '/agents',
    event: 'agent',
    label: (r) => String(r.extension),
    columns: [
      { label: 'field.extension', render: (r) => String(r.extension) },
      { label: 'field.name', render: (r) => String(r.name) },
      { label: 'field.user_id', render: (r, d) => (r.user_id ? name(d, r.user_id, 'users') : '—') },
      {
        label: 'field.skills',
        render: (r, d) => (r.skills as Agent['skills']).map((s) => `${name(d, s.skill_id, 'skills')} ${s.level}`).join(', '),
      },
    ],
    fields: [
      { name: 'name', label: 'field.name', kind: 'text' },
      { name: 'extension', label: 'field.extension', kind: 'text' },
      { name: 'sip_password', label: 'field.sip_password', labelWhenEditing: 'field.sip_passwordKeep', kind: 'password' },
      {
        name: 'user_id',
        label: 'field.user_id',
        kind: 'select',
        options: (d) => [{ value: '', label: '—' }, ...d.users.map((u) => ({ value: u.id, label: u.username }))],
      },
      { name: 'skills', label: 'field.skills', kind: 'levels' },
      { name: 'chat_capacity', label: 'field.chat_capacity', kind: 'number' },
    ],
    toForm: (r) => ({
      name: r?.name ?? '',
      extension: r?.extension ?? '',
      sip_password: '',
      user_id: r?.user_id ?? '',
      skills: ((r?.skills as Agent['skills'] | undefined) ?? []).map((s) => ({ id: s.skill_id, level: String(s.level) })),
      chat_capacity: String(r?.chat_capacity ?? 3),
    }),
    toBody: (f, original) => {
      const body: Record<string, unknown> = {
        name: f.name,
        extension: f.extension,
        user_id: textOrNull(f.user_id),
        skills: levelsToBody(f.skills, 'level'),
        chat_capacity: numberOrText(f.chat_capacity),
      };
      const password = textOrNull(f.sip_password);
      if (password !== null || !original) body.sip_password = password ?? '';
      return body;
    },
  },
  skills: {
    path: '/skills',
    event: 'skill',
    label: (r) => String(r.name),
    columns: [
      { label: 'field.name', render: (r) => String(r.name) },
      { label: 'field.description', render: (r) => String(r.description) },
    ],
    fields: [
      { name: 'name', label: 'field.name', kind: 'text' },
      { name: 'description', label: 'field.description', kind: 'text' },
    ],
    toForm: (r) => ({ name: r?.name ?? '', description: r?.description ?? '' }),
    toBody: (f) => ({ name: f.name, description: f.description }),
  },
  queues: {
    path: '/queues',
    event: 'queue',
    label: (r) => String(r.name),
    columns: [
      { label: 'field.name', render: (r) => String(r.name) },
      { label: 'field.strategy', render: (r) => String(r.strategy) },
      { label: 'field.service_level_seconds', render: (r) => String(r.service_level_seconds) },
      {
        label: 'field.required_skills',
        render: (r, d) => (r.required_skills as Queue['required_skills']).map((s) => `${name(d, s.skill_id, 'skills')} ≥${s.min_level}`).join(', '),
      },
    ],
    fields: [
      { name: 'name', label: 'field.name', kind: 'text' },
      { name: 'strategy', label: 'field.strategy', kind: 'select', options: () => Strategies.map((s) => ({ value: s, label: s })) },
      { name: 'service_level_seconds', label: 'field.service_level_seconds', kind: 'number' },
      { name: 'required_skills', label: 'field.required_skills', kind: 'levels' },
      { name: 'max_size', label: 'field.max_size', kind: 'number' },
      { name: 'wrap_up_ms', label: 'field.wrap_up_ms', kind: 'number' },
      { name: 'alert_timeout_ms', label: 'field.alert_timeout_ms', kind: 'number' },
      { name: 'callback_enabled', label: 'field.callback_enabled', kind: 'checkbox' },
    ],
    toForm: (r) => ({
      name: r?.name ?? '',
      strategy: r?.strategy ?? 'longest_idle',
      service_level_seconds: String(r?.service_level_seconds ?? 20),
      required_skills: ((r?.required_skills as Queue['required_skills'] | undefined) ?? []).map((s) => ({ id: s.skill_id, level: String(s.min_level) })),
      max_size: String(r?.max_size ?? 0),
      wrap_up_ms: String(r?.wrap_up_ms ?? 0),
      alert_timeout_ms: String(r?.alert_timeout_ms ?? 20000),
      callback_enabled: r ? r.callback_enabled === true : true,
    }),
    toBody: (f, original) => {
      // PUT replaces the queue: the settings this form does not show are sent back as they were.
      const kept: Record<string, unknown> = {};
      if (original) {
        for (const key of ['relaxation', 'overflow', 'sticky_window_ms', 'callback_timeout_ms', 'short_abandon_ms']) {
          if (key in original) kept[key] = original[key];
        }
      }
      return {
        ...kept,
        name: f.name,
        strategy: f.strategy,
        service_level_seconds: numberOrText(f.service_level_seconds),
        required_skills: levelsToBody(f.required_skills, 'min_level'),
        max_size: numberOrText(f.max_size),
        wrap_up_ms: numberOrText(f.wrap_up_ms),
        alert_timeout_ms: numberOrText(f.alert_timeout_ms),
        callback_enabled: f.callback_enabled === true,
      };
    },
  },
  'entry-points': {
    path: '/entry-points',
    event: 'entry_point',
    label: (r) => String(r.number),
    columns: [
      { label: 'field.number', render: (r) => String(r.number) },
      { label: 'field.name', render: (r) => String(r.name) },
      {
        label: 'field.target',
        render: (r, d) => {
          const target = r.target as { kind: string; id: string };
          return `${target.kind}: ${target.kind === 'queue' ? name(d, target.id, 'queues') : target.id}`;
        },
      },
      { label: 'field.enabled', render: (r) => (r.enabled ? '✓' : '✗') },
    ],
    fields: [
      { name: 'number', label: 'field.number', kind: 'text' },
      { name: 'name', label: 'field.name', kind: 'text' },
      { name: 'target_kind', label: 'call.targetKind', kind: 'select', options: () => TargetKinds.map((k) => ({ value: k, label: k })) },
      {
        name: 'target',
        label: 'field.target',
        kind: 'select',
        // Queues by name; other kinds are typed as `extension:1001`, `number:+86…`, `announcement:file`.
        options: (d) => [{ value: '', label: '—' }, ...d.queues.map((q) => ({ value: q.id, label: q.name }))],
      },
      { name: 'target_id', label: 'call.target', kind: 'text' },
      { name: 'greeting', label: 'field.greeting', kind: 'text' },
      { name: 'priority', label: 'field.priority', kind: 'number' },
      { name: 'enabled', label: 'field.enabled', kind: 'checkbox' },
    ],
    toForm: (r) => {
      const target = (r?.target as { kind: string; id: string } | undefined) ?? { kind: 'queue', id: '' };
      return {
        number: r?.number ?? '',
        name: r?.name ?? '',
        target_kind: target.kind,
        target: target.kind === 'queue' ? target.id : '',
        target_id: target.kind === 'queue' ? '' : target.id,
        greeting: r?.greeting ?? '',
        priority: String(r?.priority ?? 0),
        enabled: r ? r.enabled === true : true,
      };
    },
    toBody: (f) => entryPointBody(f),
  },
};

/** @return an entry point's body: the target from the queue picker for a queue, else the typed id. */
export function entryPointBody(f: FormValues): Record<string, unknown> {
  const kind = String(f.target_kind ?? 'queue');
  const id = kind === 'queue' ? String(f.target ?? '') : String(f.target_id ?? '');
  return {
    number: f.number,
    name: f.name,
    target: { kind, id },
    greeting: String(f.greeting ?? ''),
    priority: numberOrText(f.priority) ?? 0,
    enabled: f.enabled === true,
  };
}
