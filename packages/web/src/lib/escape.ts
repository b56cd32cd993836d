/**
 * Escaping for the one place our text becomes HTML: ECharts tooltips (HTML mode). Every name and
 * value that reaches a tooltip goes through `escapeHtml`; `tooltipFormatter` builds the tooltip from
 * the series name, the category and the value, escaped, instead of ECharts' default template.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** `<b>` → `&lt;b&gt;`; any value is stringified first (null/undefined → ''). */
export function escapeHtml(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return s.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}

/** The part of ECharts' tooltip callback parameter we read. */
export interface TooltipParam {
  seriesName?: string;
  name?: string;
  value?: unknown;
  axisValueLabel?: string;
}

function valueText(v: unknown): string {
  if (Array.isArray(v)) return valueText(v[v.length - 1]);
  if (typeof v === 'number') return v.toLocaleString('en-US');
  return String(v ?? '');
}

/**
 * An ECharts `tooltip.formatter` whose output contains no markup from the data: the heading (axis
 * label or item name) and each `series: value` line are escaped; lines are joined with `<br/>`.
 */
export function tooltipFormatter(params: TooltipParam | TooltipParam[]): string {
  const list = Array.isArray(params) ? params : [params];
  const first = list[0];
  if (!first) return '';
  const heading = first.axisValueLabel ?? first.name ?? '';
  const lines = list.map((p) =>
    Array.isArray(params) || p.seriesName
      ? `${escapeHtml(p.seriesName ?? '')}: ${escapeHtml(valueText(p.value))}`
      : escapeHtml(valueText(p.value)),
  );
  return [heading === '' ? '' : `<strong>${escapeHtml(heading)}</strong>`, ...lines]
    .filter((l) => l !== '')
    .join('<br/>');
}
