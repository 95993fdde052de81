// The administration pages: users, agents, skills, queues and entry points — list, create, edit,
// delete through the API, with a 400's message shown next to the field it names.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Api, ApiError, api, formFieldOf, type Agent, type Queue, type Skill, type User } from '../../api';
import { useI18n } from '../../i18n_context';
import type { MessageKey } from '../../i18n';
import { useStream } from '../../lib/use';
import { AdminPages, routeHash, type AdminPage } from '../../state/route';
import { Entities, type Directory, type EntityDef, type FieldDef, type FormValues } from './admin_entities';

const PageTitles: Record<AdminPage, MessageKey> = {
  users: 'admin.users',
  agents: 'admin.agents',
  skills: 'admin.skills',
  queues: 'admin.queues',
  'entry-points': 'admin.entryPoints',
};

/** The admin screen with its page menu. */
export function AdminScreen({ page }: { page: AdminPage }) {
  const { t } = useI18n();
  return (
    <div className="admin">
      <nav className="admin-menu">
        {AdminPages.map((p) => (
          <a key={p} href={routeHash({ screen: 'admin', adminPage: p })} className={p === page ? 'active' : ''} data-testid={`admin-nav-${p}`}>
            {t(PageTitles[p])}
          </a>
        ))}
      </nav>
      <EntityPage key={page} def={Entities[page]} title={t(PageTitles[page])} />
    </div>
  );
}

type Row = { id: string } & Record<string, unknown>;

function EntityPage({ def, title }: { def: EntityDef; title: string }) {
  const { t } = useI18n();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [directory, setDirectory] = useState<Directory>({ users: [], skills: [], queues: [], agents: [] });
  const [editing, setEditing] = useState<{ original: Row | null; values: FormValues } | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);

  const load = useCallback(() => {
    api<{ items: Row[] }>('GET', def.path)
      .then((l) => setRows(l.items))
      .catch((e: unknown) => setGeneral(e instanceof Error ? e.message : String(e)));
    // The pickers' choices (users for agents, skills for agents and queues, queues for entry points).
    Promise.all([
      api<{ items: User[] }>('GET', '/users').catch(() => ({ items: [] as User[] })),
      Api.skills().catch(() => ({ items: [] as Skill[] })),
      Api.queues().catch(() => ({ items: [] as Queue[] })),
      Api.agents().catch(() => ({ items: [] as Agent[] })),
    ]).then(([users, skills, queues, agents]) =>
      setDirectory({ users: users.items, skills: skills.items, queues: queues.items, agents: agents.items }),
    );
  }, [def.path]);
  useEffect(load, [load]);

  // Another admin's change shows at once.
  useStream((message) => {
    if (message.type.startsWith(`${def.event}.`)) load();
  });

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    setErrors({});
    setGeneral(null);
    try {
      const body = def.toBody(editing.values, editing.original);
      if (editing.original) await api('PUT', `${def.path}/${editing.original.id}`, body);
      else await api('POST', def.path, body);
      setEditing(null);
      load();
    } catch (e) {
      if (e instanceof ApiError) {
        const field = formFieldOf(e.field);
        if (field && def.fields.some((f) => f.name === field)) setErrors({ [field]: `${e.message}${e.field !== field ? ` (${e.field})` : ''}` });
        else setGeneral(`${e.status} ${e.message}${e.field ? ` (${e.field})` : ''}`);
      } else setGeneral(String(e));
    }
  };

  const remove = async (row: Row) => {
    if (!window.confirm(t('common.confirmDelete', { name: def.label(row) }))) return;
    setGeneral(null);
    try {
      await api('DELETE', `${def.path}/${row.id}`);
      load();
    } catch (e) {
      setGeneral(e instanceof ApiError ? `${e.status} ${e.message}` : String(e));
    }
  };

  return (
    <section className="card entity-page" data-testid={`admin-${def.event}`}>
      <h2>
        {title}{' '}
        <button className="primary" onClick={() => { setErrors({}); setEditing({ original: null, values: def.toForm(null) }); }} data-testid="admin-create">
          {t('common.create')}
        </button>
      </h2>
      {general && <p className="error" role="alert" data-testid="admin-error">{general}</p>}
      {editing && (
        <form className="entity-form" onSubmit={(e) => void save(e)} data-testid="admin-form">
          {def.fields
            .filter((f) => !(f.createOnly && editing.original))
            .map((f) => (
              <FieldEditor
                key={f.name}
                field={f}
                editingExisting={editing.original !== null}
                value={editing.values[f.name]}
                directory={directory}
                error={errors[f.name] ?? null}
                onChange={(v) => setEditing({ ...editing, values: { ...editing.values, [f.name]: v } })}
              />
            ))}
          <div className="row">
            <button type="submit" className="primary" data-testid="admin-save">
              {t('common.save')}
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      {!rows ? (
        <p className="notice">{t('common.loading')}</p>
      ) : (
        <table className="entity-table">
          <thead>
            <tr>
              {def.columns.map((c) => (
                <th key={c.label}>{t(c.label)}</th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-testid={`row-${def.label(row)}`}>
                {def.columns.map((c) => (
                  <td key={c.label}>{c.render(row, directory)}</td>
                ))}
                <td className="actions">
                  <button onClick={() => { setErrors({}); setEditing({ original: row, values: def.toForm(row) }); }}>{t('common.edit')}</button>
                  <button className="danger" onClick={() => void remove(row)}>
                    {t('common.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function FieldEditor(props: {
  field: FieldDef;
  editingExisting: boolean;
  value: unknown;
  directory: Directory;
  error: string | null;
  onChange: (value: unknown) => void;
}) {
  const { field, value, directory, error, onChange, editingExisting } = props;
  const { t } = useI18n();
  const label = t(editingExisting && field.labelWhenEditing ? field.labelWhenEditing : field.label);
  let input;
  switch (field.kind) {
    case 'text':
    case 'password':
    case 'number':
      input = (
        <input
          name={field.name}
          type={field.kind}
          value={String(value ?? '')}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error !== null}
        />
      );
      break;
    case 'checkbox':
      input = <input name={field.name} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
      break;
    case 'select': {
      const options = field.options(directory);
      input = (
        <select name={field.name} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} aria-invalid={error !== null}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      );
      break;
    }
    case 'levels': {
      const list = (value as { id: string; level: string }[] | undefined) ?? [];
      const set = (next: { id: string; level: string }[]) => onChange(next);
      input = (
        <div className="levels">
          {list.map((item, i) => (
            <span key={i} className="level-item">
              <select value={item.id} onChange={(e) => set(list.map((x, j) => (j === i ? { ...x, id: e.target.value } : x)))}>
                <option value="" />
                {directory.skills.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
              <input type="number" min={1} max={10} value={item.level} onChange={(e) => set(list.map((x, j) => (j === i ? { ...x, level: e.target.value } : x)))} />
              <button type="button" className="link" onClick={() => set(list.filter((_, j) => j !== i))}>
                {t('field.remove')}
              </button>
            </span>
          ))}
          <button type="button" onClick={() => set([...list, { id: '', level: '5' }])}>
            {t('field.addSkill')}
          </button>
        </div>
      );
      break;
    }
  }
  return (
    <label className={`field ${error ? 'has-error' : ''}`} data-field={field.name}>
      <span>{label}</span>
      {input}
      {error && (
        <span className="field-error" data-testid={`error-${field.name}`}>
          {error}
        </span>
      )}
    </label>
  );
}
