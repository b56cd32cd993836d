/** The ECharts tooltip formatter escapes every name and value from the data. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, tooltipFormatter } from './escape';

describe('escapeHtml', () => {
  it('escapes the characters that start markup or end attributes', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&\``)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;&#96;',
    );
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });
});

describe('tooltipFormatter', () => {
  it('escapes axis labels, series names and values (axis trigger)', () => {
    const out = tooltipFormatter([
      { seriesName: '<b>events</b>', axisValueLabel: '<script>x</script>', value: [1, 1234] },
      { seriesName: 'blocked', axisValueLabel: '<script>x</script>', value: [1, '<i>7</i>'] },
    ]);
    expect(out).toBe(
      '<strong>&lt;script&gt;x&lt;/script&gt;</strong><br/>&lt;b&gt;events&lt;/b&gt;: 1,234<br/>blocked: &lt;i&gt;7&lt;/i&gt;',
    );
    expect(out.replace(/<\/?(strong|br\/)>/g, '')).not.toMatch(/[<>]/);
  });

  it('escapes item names (item trigger)', () => {
    expect(tooltipFormatter({ seriesName: 'events', name: '"><svg onload=alert(1)>', value: 3 })).toBe(
      '<strong>&quot;&gt;&lt;svg onload=alert(1)&gt;</strong><br/>events: 3',
    );
  });
});
