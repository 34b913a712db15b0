import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiProblem, type FieldProblem } from './api';

/** The problems of one field (and of its parts: `pools.0` shows `pools.0.size` too, unless told exact). */
export function problemsFor(problems: FieldProblem[], field: string, exact = false): FieldProblem[] {
  return problems.filter((p) => p.field === field || (!exact && p.field.startsWith(`${field}.`)));
}

/** `scope` tells apart forms of one page that name the same field (each pool's `size`). */
export function errorId(field: string, scope?: string): string {
  return `error-${scope ? `${scope}-` : ''}${field.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The messages next to a field; its input points at them with aria-describedby. */
export function FieldErrors({ field, problems, exact, scope }: { field: string; problems: FieldProblem[]; exact?: boolean; scope?: string }): ReactNode {
  const mine = problemsFor(problems, field, exact);
  if (mine.length === 0) return null;
  return (
    <ul className="field-errors" id={errorId(field, scope)} role="alert">
      {mine.map((p, i) => (
        <li key={i}>
          {p.message}
          {p.rule ? <span className="rule"> ({p.rule})</span> : null}
        </li>
      ))}
    </ul>
  );
}

/** Props that tie an input to its errors for assistive technology. */
export function describedBy(field: string, problems: FieldProblem[], exact?: boolean, scope?: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return problemsFor(problems, field, exact).length > 0 ? { 'aria-invalid': true, 'aria-describedby': errorId(field, scope) } : {};
}

export function ErrorBanner({ error }: { error: unknown }): ReactNode {
  if (!error) return null;
  const message = error instanceof ApiProblem ? `${error.status}: ${error.message}` : (error as Error).message ?? String(error);
  return (
    <p className="banner error" role="alert">
      {message}
    </p>
  );
}

/** Reads `load` now and every `intervalMs` while the page is shown; `reload` reads again at once. */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): { data?: T; error?: unknown; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const round = async (): Promise<void> => {
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ data });
      } catch (error) {
        if (!stopped) setState((s) => ({ data: s.data, error }));
      }
      if (!stopped && intervalMs > 0) timer = setTimeout(() => void round(), intervalMs);
    };
    void round();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);
  return { ...state, reload };
}

export function duration(startedAt?: string, finishedAt?: string, now = Date.now()): string {
  if (!startedAt) return '';
  const ms = (finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

export function StateBadge({ state }: { state: string }): ReactNode {
  return <span className={`badge state-${state.toLowerCase()}`}>{state}</span>;
}

/** The problems no field of the form shows (a rule of the whole request, `field: "body"`): listed as they came, so none is lost. */
export function UnplacedProblems({ problems, placed }: { problems: FieldProblem[]; placed: string[] }): ReactNode {
  const rest = problems.filter((p) => !placed.some((field) => p.field === field || p.field.startsWith(`${field}.`)));
  if (rest.length === 0) return null;
  return (
    <ul className="field-errors" role="alert">
      {rest.map((p, i) => (
        <li key={i}>
          {p.field === 'body' ? '' : `${p.field}: `}
          {p.message}
          {p.rule ? <span className="rule"> ({p.rule})</span> : null}
        </li>
      ))}
    </ul>
  );
}
