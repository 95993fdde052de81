// The login form.
import { useState, type FormEvent } from 'react';
import { Api, ApiError } from '../../api';
import { useI18n } from '../../i18n_context';
import type { Session } from '../../session';

/** Asks for a username and password; calls onLogin with the new session. */
export function LoginPage({ onLogin }: { onLogin: (session: Session) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await Api.login(username, password);
      onLogin({ token: answer.token, user: answer.user });
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? t('login.failed') : e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="login card" onSubmit={(e) => void submit(e)}>
      <h1>{t('login.title')}</h1>
      <label>
        {t('login.username')}
        <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
      </label>
      <label>
        {t('login.password')}
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || !username || !password}>
        {t('login.submit')}
      </button>
    </form>
  );
}
