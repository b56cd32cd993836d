/**
 * The correlation thresholds (GET/PUT /api/v1/incidents/config) as a form built from the config's
 * own shape, so a new setting on the server appears without a dashboard change. Numbers are checked
 * here first; the server's verdict (details.field) is shown next to the field it names. The save
 * sends the version read (If-Match), so two admins cannot silently overwrite each other.
 */
import { useEffect, useMemo, useState } from 'react';
import { ErrorBox } from '../components/ui';
import { api, ApiError, errorText } from '../lib/api';
import {
  checkNumber,
  enumChoices,
  fieldForError,
  getPath,
  JSON_FIELDS,
  leafPaths,
  setPath,
  type Json,
} from '../lib/config-form';
import { useApi } from '../lib/hooks';
import { useSession } from '../lib/session';

interface ConfigResponse {
  config: { [k: string]: Json };
  version: number;
}

export function ThresholdsPage() {
  const { can } = useSession();
  const editable = can('admin');
  const { data, error, reload } = useApi<ConfigResponse>('/incidents/config');
  const [form, setForm] = useState<Json>();
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!data) return;
    setForm(data.config);
    setTexts({});
    setErrors({});
  }, [data]);

  const fields = useMemo(() => (form ? leafPaths(form).filter((p) => p !== 'profile') : []), [form]);
  const sections = useMemo(() => {
    const out = new Map<string, string[]>();
    for (const f of fields) {
      const s = f.includes('.') ? f.slice(0, f.indexOf('.')) : '';
      out.set(s, [...(out.get(s) ?? []), f]);
    }
    return [...out.entries()];
  }, [fields]);

  if (!form || !data)
    return (
      <div className="page">
        <h1>Thresholds</h1>
        <ErrorBox error={error} />
      </div>
    );

  function edit(path: string, value: Json) {
    setForm((f) => (f === undefined ? f : setPath(f, path, value)));
    setErrors((e) => {
      const { [path]: _gone, ...rest } = e;
      return rest;
    });
    setSaved('');
  }

  function textEdit(path: string, text: string, parse: (t: string) => { value?: Json; error?: string }) {
    setTexts((t) => ({ ...t, [path]: text }));
    const r = parse(text);
    if (r.error !== undefined) setErrors((e) => ({ ...e, [path]: r.error! }));
    else edit(path, r.value ?? null);
  }

  async function save(body: Json) {
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    setSaveError(undefined);
    setSaved('');
    try {
      await api<ConfigResponse>('/incidents/config', {
        method: 'PUT',
        body,
        headers: { 'if-match': `"${data!.version}"` },
      });
      setSaved('Saved. The correlator uses the new thresholds now.');
      reload();
    } catch (e) {
      const field = e instanceof ApiError ? e.field : undefined;
      const target = field ? fieldForError(field, [...fields, 'profile']) : undefined;
      if (target) setErrors((x) => ({ ...x, [target]: (e as ApiError).message }));
      else setSaveError(e);
    } finally {
      setBusy(false);
    }
  }

  const profile = String(getPath(form, 'profile') ?? 'default');
  return (
    <div className="page" data-testid="thresholds-page">
      <div className="page-head">
        <h1>Thresholds</h1>
        <span className="muted">version {data.version}</span>
      </div>
      {!editable ? <p className="notice">Read-only: only administrators change thresholds.</p> : null}
      <form
        className="config-form"
        data-testid="threshold-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save(form);
        }}
      >
        <section className="card">
          <label className="field">
            <span className="field-label">Profile</span>
            <select
              value={profile}
              disabled={!editable}
              data-testid="threshold-profile"
              onChange={(e) => edit('profile', e.target.value)}
            >
              {enumChoices('profile')!.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <span className="field-hint">Fields below override the profile's values.</span>
            {errors.profile ? <span className="field-error">{errors.profile}</span> : null}
          </label>
          {editable ? (
            <button
              type="button"
              className="ghost"
              disabled={busy}
              data-testid="threshold-reset"
              onClick={() => void save({ profile })}
            >
              Reset every field to the “{profile}” profile
            </button>
          ) : null}
        </section>
        {sections.map(([section, paths]) => (
          <fieldset key={section} className="card" disabled={!editable}>
            <legend>{section.replace(/_/g, ' ')}</legend>
            <div className="field-grid">
              {paths.map((p) => (
                <ConfigField
                  key={p}
                  path={p}
                  value={getPath(form, p)}
                  text={texts[p]}
                  error={errors[p]}
                  onValue={(v) => edit(p, v)}
                  onText={(t, parse) => textEdit(p, t, parse)}
                />
              ))}
            </div>
          </fieldset>
        ))}
        {editable ? (
          <div className="button-row sticky-actions">
            <button
              type="submit"
              className="primary"
              disabled={busy || Object.keys(errors).length > 0}
              data-testid="threshold-save"
            >
              Save thresholds
            </button>
            <button type="button" className="ghost" onClick={reload}>
              Discard changes
            </button>
            {Object.keys(errors).length > 0 ? (
              <span className="field-error" data-testid="threshold-errors">
                Fix the marked fields.
              </span>
            ) : null}
            {saved ? (
              <span className="notice" role="status" data-testid="threshold-saved">
                {saved}
              </span>
            ) : null}
          </div>
        ) : null}
        {saveError ? <p className="error-box">{errorText(saveError)}</p> : null}
      </form>
    </div>
  );
}

function ConfigField({
  path,
  value,
  text,
  error,
  onValue,
  onText,
}: {
  path: string;
  value: Json | undefined;
  text: string | undefined;
  error: string | undefined;
  onValue: (v: Json) => void;
  onText: (t: string, parse: (t: string) => { value?: Json; error?: string }) => void;
}) {
  const label = path.includes('.') ? path.slice(path.indexOf('.') + 1).replace(/_/g, ' ') : path;
  const testId = `threshold-${path}`;
  let input;
  if (JSON_FIELDS.has(path)) {
    input = (
      <textarea
        rows={8}
        spellCheck={false}
        data-testid={testId}
        value={text ?? JSON.stringify(value, null, 2)}
        onChange={(e) =>
          onText(e.target.value, (t) => {
            try {
              const v = JSON.parse(t) as Json;
              return Array.isArray(v) ? { value: v } : { error: 'must be a JSON list' };
            } catch {
              return { error: 'not valid JSON' };
            }
          })
        }
      />
    );
  } else if (typeof value === 'boolean') {
    input = (
      <input
        type="checkbox"
        checked={value}
        data-testid={testId}
        onChange={(e) => onValue(e.target.checked)}
      />
    );
  } else if (typeof value === 'number') {
    input = (
      <input
        type="number"
        inputMode="decimal"
        min={0}
        step="any"
        data-testid={testId}
        value={text ?? String(value)}
        onChange={(e) =>
          onText(e.target.value, (t) => {
            const err = checkNumber(path, t);
            return err ? { error: err } : { value: Number(t) };
          })
        }
      />
    );
  } else if (typeof value === 'string') {
    const choices = enumChoices(path);
    input = choices ? (
      <select value={value} data-testid={testId} onChange={(e) => onValue(e.target.value)}>
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    ) : (
      <input value={value} maxLength={256} data-testid={testId} onChange={(e) => onValue(e.target.value)} />
    );
  } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    input = (
      <textarea
        rows={Math.min(6, Math.max(2, value.length + 1))}
        spellCheck={false}
        data-testid={testId}
        value={text ?? value.join('\n')}
        onChange={(e) =>
          onText(e.target.value, (t) => ({
            value: t
              .split(/[\n,]/)
              .map((s) => s.trim())
              .filter((s) => s !== ''),
          }))
        }
      />
    );
  } else {
    input = <code>{JSON.stringify(value)}</code>;
  }
  return (
    <label className={error ? 'field invalid' : 'field'}>
      <span className="field-label">{label}</span>
      {input}
      {error ? (
        <span className="field-error" role="alert" data-testid={`${testId}-error`}>
          {error}
        </span>
      ) : null}
    </label>
  );
}
