/**
 * Log uploads: pick or drop a file, watch the upload progress, then the ingest status (polled until
 * it is final) with the per-line rejection report; below, the uploads so far. Uploading needs the
 * "upload" scope (analysts, admins).
 */
import { useEffect, useRef, useState } from 'react';
import { ErrorBox, Empty } from '../components/ui';
import { api, uploadLog } from '../lib/api';
import { fmtBytes, fmtNum, fmtTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import { useSession } from '../lib/session';
import type { Upload } from '../lib/types';

const FORMATS = ['auto', 'access', 'auth', 'auditd', 'jsonl'];
const FINAL = new Set(['done', 'partial', 'failed']);
const POLL_MS = 1000;

export function UploadsPage() {
  const { can } = useSession();
  const list = useApi<{ uploads: Upload[] }>('/logs', { limit: 50 });
  const [format, setFormat] = useState('auto');
  const [progress, setProgress] = useState<number>();
  const [uploadError, setUploadError] = useState<unknown>();
  const [current, setCurrent] = useState<number>();
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  async function send(file: File) {
    setUploadError(undefined);
    setProgress(0);
    setCurrent(undefined);
    try {
      const u = await uploadLog(file, format, setProgress);
      setCurrent(u.id);
      list.reload();
    } catch (e) {
      setUploadError(e);
    } finally {
      setProgress(undefined);
      if (input.current) input.current.value = '';
    }
  }

  const canUpload = can('upload');
  return (
    <div className="page" data-testid="uploads-page">
      <div className="page-head">
        <h1>Log uploads</h1>
      </div>
      {canUpload ? (
        <section
          className={dragging ? 'card dropzone dragging' : 'card dropzone'}
          data-testid="upload-dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            const f = e.dataTransfer.files[0];
            if (f && progress === undefined) void send(f);
          }}
        >
          <p>Drop a log file here (access log, auth.log, auditd, JSON lines; gzip is fine), or</p>
          <div className="inline-form">
            <input
              ref={input}
              type="file"
              aria-label="Log file"
              data-testid="upload-input"
              disabled={progress !== undefined}
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void send(f);
              }}
            />
            <label>
              Format{' '}
              <select value={format} data-testid="upload-format" onChange={(e) => setFormat(e.target.value)}>
                {FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {progress !== undefined ? (
            <div data-testid="upload-progress">
              <progress max={1} value={progress} /> {Math.round(progress * 100)}%{' '}
              {progress >= 1 ? <span className="muted">ingesting…</span> : null}
            </div>
          ) : null}
          <ErrorBox error={uploadError} testId="upload-error" />
        </section>
      ) : (
        <p className="notice">Read-only: your role cannot upload logs.</p>
      )}
      {current !== undefined ? <UploadReport id={current} onFinal={list.reload} /> : null}
      <section className="card">
        <h2>Uploads</h2>
        <ErrorBox error={list.error} />
        <div className="table-wrap">
          <table className="data clickable" data-testid="uploads-table">
            <thead>
              <tr>
                <th>#</th>
                <th>File</th>
                <th>Size</th>
                <th>Format</th>
                <th>Status</th>
                <th>Uploaded</th>
                <th>By</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.uploads ?? []).map((u) => (
                <tr key={u.id} data-testid="upload-row" tabIndex={0} onClick={() => setCurrent(u.id)}>
                  <td>{u.id}</td>
                  <td className="ellipsis">{u.name}</td>
                  <td className="nowrap">{fmtBytes(u.size)}</td>
                  <td>{u.format ?? '—'}</td>
                  <td>{u.status}</td>
                  <td className="nowrap">{fmtTime(u.uploaded)}</td>
                  <td>{u.uploaded_by}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data && list.data.uploads.length === 0 ? <Empty>No uploads yet.</Empty> : null}
        </div>
      </section>
    </div>
  );
}

/** One upload's status, polled until final, and its rejection report. */
function UploadReport({ id, onFinal }: { id: number; onFinal: () => void }) {
  const [upload, setUpload] = useState<Upload>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let stop = false;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const r = await api<{ upload: Upload }>(`/logs/${id}`);
        if (stop) return;
        setUpload(r.upload);
        if (FINAL.has(r.upload.status)) onFinal();
        else timer = window.setTimeout(() => void poll(), POLL_MS);
      } catch (e) {
        if (!stop) setError(e);
      }
    };
    void poll();
    return () => {
      stop = true;
      window.clearTimeout(timer);
    };
  }, [id, onFinal]);

  const s = upload?.summary;
  return (
    <section className="card" data-testid="upload-report">
      <h2>
        Upload #{id} {upload ? <span className="muted">{upload.name}</span> : null}
      </h2>
      <ErrorBox error={error} />
      {upload ? (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="upload-status">{upload.status}</dd>
            {upload.error ? (
              <>
                <dt>Error</dt>
                <dd>{upload.error}</dd>
              </>
            ) : null}
            <dt>Format</dt>
            <dd>{upload.format ?? s?.format ?? '—'}</dd>
            <dt>Lines</dt>
            <dd>
              {fmtNum(s?.lines)} read · {fmtNum(s?.parsed)} parsed · {fmtNum(s?.events)} events ·{' '}
              <span data-testid="upload-rejected">{fmtNum(s?.rejected)}</span> rejected
            </dd>
            <dt>Flagged</dt>
            <dd>{fmtNum(s?.flagged)}</dd>
            {s?.incidents_by_type && Object.keys(s.incidents_by_type).length > 0 ? (
              <>
                <dt>Incidents</dt>
                <dd>
                  {Object.entries(s.incidents_by_type)
                    .map(([t, n]) => `${t.replace(/_/g, ' ')}: ${n}`)
                    .join(' · ')}
                </dd>
              </>
            ) : null}
          </dl>
          {s?.rejections && s.rejections.length > 0 ? (
            <>
              <h3>Rejected lines</h3>
              {s.rejected_by_reason ? (
                <p className="muted">
                  {Object.entries(s.rejected_by_reason)
                    .map(([r, n]) => `${r}: ${n}`)
                    .join(' · ')}
                </p>
              ) : null}
              <div className="table-wrap">
                <table className="data" data-testid="upload-rejections">
                  <thead>
                    <tr>
                      <th className="num">Line</th>
                      <th>Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.rejections.slice(0, 1000).map((r, i) => (
                      <tr key={i} data-testid="rejection-row">
                        <td className="num">{r.line}</td>
                        <td>{r.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {(s.rejected ?? 0) > s.rejections.length ? (
                <p className="muted">
                  The first {s.rejections.length} of {fmtNum(s.rejected)} rejections are listed.
                </p>
              ) : null}
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
