// How figures and codes read on screen, shared by the screens.
import type { I18n } from '../i18n_context';

/** @return a ratio as a whole percentage, or a dash. */
export function percent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 100)}%`;
}

/** @return milliseconds as whole seconds (`12s`), or a dash. */
export function seconds(ms: number | null): string {
  return ms === null ? '—' : `${Math.round(ms / 1000)}s`;
}

const Reasons = ['break', 'lunch', 'training', 'meeting', 'after_call_work', 'no_answer'] as const;

/** @return the label of a not-ready reason code (the code itself when it has none). */
export function reasonLabel(t: I18n['t'], code: string): string {
  const known = Reasons.find((r) => r === code);
  return known ? t(`reason.${known}`) : code;
}
