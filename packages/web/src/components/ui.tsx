/**
 * Small shared pieces: severity/status badges, error and empty states, a labelled field, and the
 * props of a table row that opens something on click or Enter.
 */
import type { KeyboardEvent, ReactNode } from 'react';
import { errorText } from '../lib/api';

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function ActionBadge({ action }: { action: string }) {
  return <span className={`badge act-${action}`}>{action}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge st-${status}`}>{status.replace('_', ' ')}</span>;
}

export function ErrorBox({ error, testId }: { error: unknown; testId?: string }) {
  if (error === undefined || error === null) return null;
  return (
    <div className="error-box" role="alert" data-testid={testId ?? 'error'}>
      {errorText(error)}
    </div>
  );
}

/** Props of a row that opens on click and, focused, on Enter: `<tr {...rowActivation(open)}>`. */
export function rowActivation(open: () => void) {
  return {
    tabIndex: 0,
    onClick: open,
    onKeyDown: (k: KeyboardEvent) => {
      if (k.key === 'Enter') open();
    },
  };
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Field({
  label,
  error,
  children,
  hint,
}: {
  label: string;
  error?: string | undefined;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <label className={error ? 'field invalid' : 'field'}>
      <span className="field-label">{label}</span>
      {children}
      {hint && !error ? <span className="field-hint">{hint}</span> : null}
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </label>
  );
}
