/**
 * Request text with the evidence marked. The text is split into segments and rendered as React
 * text nodes inside <mark> / <span>: attack payloads are never parsed as HTML.
 */
import { useMemo } from 'react';
import { highlightSegments } from '../lib/highlight';

/** Longest text shown at once (the server caps raw captures; this keeps the DOM small). */
const SHOW_MAX = 200_000;

export function Highlighted({
  text,
  needles,
  testId,
}: {
  text: string;
  needles: readonly string[];
  testId?: string;
}) {
  const shown = text.length > SHOW_MAX ? text.slice(0, SHOW_MAX) : text;
  const segments = useMemo(() => highlightSegments(shown, needles), [shown, needles]);
  return (
    <pre className="request-text" data-testid={testId}>
      {segments.map((s, i) => (s.mark ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
      {shown.length < text.length ? (
        <span className="muted">{`\n… ${text.length - SHOW_MAX} more characters`}</span>
      ) : null}
    </pre>
  );
}
