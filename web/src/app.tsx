// The shell: login, the top bar (screens of the role, language, logout) and the current screen.
import { createContext, lazy, Suspense, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { Api, setToken, setUnauthenticatedHandler } from './api';
import { useI18n } from './i18n_context';
import { EventStream } from './lib/events';
import { LoginPage } from './screens/login/login';
import { DesktopPage } from './screens/desktop/desktop';
import { AdminScreen } from './screens/admin/admin';
import { loadSession, saveSession, type Session } from './session';
import { parseRoute, routeHash, screensFor, type Route } from './state/route';

// The wallboard carries ECharts: loaded only when opened.
const WallboardPage = lazy(() => import('./screens/wallboard/wallboard').then((m) => ({ default: m.WallboardPage })));

/** What every screen gets: the login and its event stream. */
export interface Connected {
  session: Session;
  events: EventStream;
  live: boolean;
}

const ConnectedContext = createContext<Connected | null>(null);

/** @return the login and its stream; screens render only inside a login. */
export function useConnected(): Connected {
  const value = useContext(ConnectedContext);
  if (!value) throw new Error('useConnected outside a login');
  return value;
}

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

/** The whole app. */
export function App() {
  const { t, toggle } = useI18n();
  const [session, setSession] = useState<Session | null>(() => {
    const s = loadSession();
    setToken(s?.token ?? null);
    return s;
  });
  const [events, setEvents] = useState<EventStream | null>(null);
  const [live, setLive] = useState(false);
  const hash = useHash();

  const logout = useCallback(() => {
    void Api.logout().catch(() => undefined);
    setToken(null);
    saveSession(null);
    setSession(null);
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setToken(null);
      saveSession(null);
      setSession(null);
    });
    return () => setUnauthenticatedHandler(null);
  }, []);

  useEffect(() => {
    if (!session) return;
    const stream = new EventStream(session.token);
    const off = stream.onStatus(setLive);
    stream.open();
    setEvents(stream);
    return () => {
      off();
      stream.close();
      setEvents(null);
      setLive(false);
    };
  }, [session]);

  const onLogin = useCallback((s: Session) => {
    setToken(s.token);
    saveSession(s);
    setSession(s);
    const route = parseRoute('', s.user.role);
    if (route) window.location.hash = routeHash(route);
  }, []);

  const connected = useMemo(() => (session && events ? { session, events, live } : null), [session, events, live]);

  if (!session) {
    return (
      <div className="app">
        <header className="topbar">
          <span className="brand">{t('app.title')}</span>
          <span className="spacer" />
          <button className="link" onClick={toggle} data-testid="lang-switch">
            {t('lang.switch')}
          </button>
        </header>
        <LoginPage onLogin={onLogin} />
      </div>
    );
  }
  const route: Route | null = parseRoute(hash, session.user.role);
  const screens = screensFor(session.user.role);
  return (
    <div className={`app screen-${route?.screen ?? 'none'}`}>
      <header className="topbar">
        <span className="brand">{t('app.title')}</span>
        <nav>
          {screens.map((s) => (
            <a key={s} href={routeHash({ screen: s, adminPage: 'users' })} className={route?.screen === s ? 'active' : ''} data-testid={`nav-${s}`}>
              {t(`nav.${s}`)}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        <span className={`conn ${live ? 'up' : 'down'}`} data-testid="conn">
          {live ? t('conn.live') : t('conn.offline')}
        </span>
        <span className="who" data-testid="who">
          {session.user.display_name || session.user.username}
        </span>
        <button className="link" onClick={toggle} data-testid="lang-switch">
          {t('lang.switch')}
        </button>
        <button className="link" onClick={logout} data-testid="logout">
          {t('nav.logout')}
        </button>
      </header>
      <main>
        {!route && <p className="notice">{t('login.auditorNoScreen')}</p>}
        {route && connected && (
          <ConnectedContext.Provider value={connected}>
            {route.screen === 'desktop' && <DesktopPage />}
            {route.screen === 'wallboard' && (
              <Suspense fallback={<p className="notice">{t('common.loading')}</p>}>
                <WallboardPage />
              </Suspense>
            )}
            {route.screen === 'admin' && <AdminScreen page={route.adminPage} />}
          </ConnectedContext.Provider>
        )}
      </main>
    </div>
  );
}
