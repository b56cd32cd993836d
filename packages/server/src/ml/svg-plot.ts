import type { Point } from './metrics.js';

/** One line of a plot. */
export interface Series {
  name: string;
  points: Point[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/**
 * A line plot on the unit square (ROC, precision–recall) as a standalone SVG document.
 * `diagonal` draws the chance line of a ROC plot.
 */
export function plotSvg(
  title: string,
  xLabel: string,
  yLabel: string,
  series: Series[],
  diagonal = false,
): string {
  const W = 480;
  const H = 400;
  const L = 56;
  const T = 32;
  const S = 320; // plot side in pixels
  const px = (x: number) => (L + x * S).toFixed(1);
  const py = (y: number) => (T + (1 - y) * S).toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  for (let k = 0; k <= 10; k++) {
    const v = k / 10;
    out.push(
      `<line x1="${px(v)}" y1="${py(0)}" x2="${px(v)}" y2="${py(1)}" stroke="#eee"/>`,
      `<line x1="${px(0)}" y1="${py(v)}" x2="${px(1)}" y2="${py(v)}" stroke="#eee"/>`,
    );
    if (k % 2 === 0)
      out.push(
        `<text x="${px(v)}" y="${T + S + 14}" text-anchor="middle">${v.toFixed(1)}</text>`,
        `<text x="${L - 6}" y="${Number(py(v)) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
      );
  }
  out.push(
    `<rect x="${L}" y="${T}" width="${S}" height="${S}" fill="none" stroke="#333"/>`,
    `<text x="${L + S / 2}" y="${T + S + 30}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${T + S / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  if (diagonal)
    out.push(
      `<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999" stroke-dasharray="4 4"/>`,
    );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${px(p.x)} ${py(p.y)}`).join('');
    if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    const ly = T + 14 + i * 14;
    out.push(
      `<line x1="${L + S + 10}" y1="${ly - 4}" x2="${L + S + 24}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${L + S + 28}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
