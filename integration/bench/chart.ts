/**
 * The bench report as one SVG (no dependencies): per fleet size, grouped bars per
 * strategy for GitHub calls (with the lower bound marked) and for the cycle's duration at
 * GitHub's real pacing, each panel on a log scale so 100 and 5,000 runners share it.
 */
import type { BenchReport, BenchRow } from './run-bench';

const COLORS: Record<string, string> = { ours: '#1f77b4', a: '#d62728', b: '#ff7f0e', c: '#2ca02c' };
const W = 900;
const PANEL_H = 260;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Panel {
  title: string;
  unit: string;
  value: (r: BenchRow) => number;
  marker?: (r: BenchRow) => number;
  markerLabel?: string;
  /** Horizontal reference lines (e.g. the Lambda timeouts). */
  lines?: { value: number; label: string }[];
}

function panel(report: BenchReport, p: Panel, top: number): string {
  const sizes = [...new Set(report.rows.map((r) => r.size))];
  const strategies = [...new Set(report.rows.map((r) => r.strategy))];
  const values = [...report.rows.flatMap((r) => [p.value(r), ...(p.marker ? [p.marker(r)] : [])]), ...(p.lines ?? []).map((l) => l.value)].filter((v) => v > 0);
  const max = Math.max(10, ...values);
  const min = Math.max(1, Math.min(...values, max) / 2);
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const plotW = W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const y = (v: number) => top + MARGIN.top + plotH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * plotH;
  const groupW = plotW / sizes.length;
  const barW = Math.min(40, (groupW * 0.8) / strategies.length);
  const out: string[] = [];
  out.push(`<text x="${MARGIN.left}" y="${top + 24}" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  for (let e = lo; e <= hi; e++) {
    const yy = y(10 ** e);
    out.push(`<line x1="${MARGIN.left}" x2="${W - MARGIN.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${yy + 4}" font-size="11" text-anchor="end">${(10 ** e).toLocaleString('en-US')}</text>`);
  }
  out.push(`<text x="16" y="${top + MARGIN.top + plotH / 2}" font-size="11" transform="rotate(-90 16 ${top + MARGIN.top + plotH / 2})" text-anchor="middle">${esc(p.unit)} (log)</text>`);
  sizes.forEach((size, gi) => {
    const gx = MARGIN.left + gi * groupW + (groupW - barW * strategies.length) / 2;
    strategies.forEach((strategy, si) => {
      const row = report.rows.find((r) => r.size === size && r.strategy === strategy);
      if (!row) return;
      const x = gx + si * barW;
      const v = p.value(row);
      const yy = y(v);
      const base = y(10 ** lo);
      out.push(`<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${Math.max(0, base - yy).toFixed(1)}" fill="${COLORS[strategy] ?? '#888'}"><title>${esc(`${row.strategyName}, ${size} runners: ${v.toLocaleString('en-US')} ${p.unit}`)}</title></rect>`);
      if (p.marker) {
        const m = y(p.marker(row));
        out.push(`<line x1="${x.toFixed(1)}" x2="${(x + barW - 4).toFixed(1)}" y1="${m.toFixed(1)}" y2="${m.toFixed(1)}" stroke="#000" stroke-width="2" stroke-dasharray="4 2"/>`);
      }
    });
    out.push(`<text x="${MARGIN.left + gi * groupW + groupW / 2}" y="${top + PANEL_H - MARGIN.bottom + 18}" font-size="12" text-anchor="middle">${size.toLocaleString('en-US')} runners</text>`);
  });
  for (const l of p.lines ?? []) {
    const yy = y(l.value);
    out.push(`<line x1="${MARGIN.left}" x2="${W - MARGIN.right}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="#900" stroke-dasharray="6 3"/>`);
    out.push(`<text x="${W - MARGIN.right}" y="${(yy - 4).toFixed(1)}" font-size="11" fill="#900" text-anchor="end">${esc(l.label)}</text>`);
  }
  if (p.markerLabel) {
    out.push(`<text x="${W - MARGIN.right}" y="${top + 24}" font-size="11" text-anchor="end">dashed: ${esc(p.markerLabel)}</text>`);
  }
  return out.join('\n');
}

export function benchChartSvg(report: BenchReport): string {
  const strategies = [...new Map(report.rows.map((r) => [r.strategy, r.strategyName])).entries()];
  const legendTop = 2 * PANEL_H + 10;
  const legend = strategies
    .map(([key, name], i) => {
      const x = MARGIN.left + i * 200;
      return `<rect x="${x}" y="${legendTop}" width="12" height="12" fill="${COLORS[key] ?? '#888'}"/><text x="${x + 18}" y="${legendTop + 11}" font-size="12">${esc(name)}</text>`;
    })
    .join('\n');
  const note = `One scale-down cycle, half the runners idle; latency ${report.latencyMs} ms per GitHub call; pacing x${report.scale.factor} (durations converted back to real pacing); ${report.generatedAt}`;
  const height = 2 * PANEL_H + 50;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    panel(report, { title: 'GitHub requests per cycle', unit: 'requests', value: (r) => r.githubTotal, marker: (r) => r.githubLowerBound, markerLabel: 'lower bound for what the row reclaimed' }, 0),
    panel(
      report,
      {
        title: 'Cycle duration at GitHub\'s real pacing',
        unit: 'seconds',
        value: (r) => r.durationAtRealPacingMs / 1000,
        lines: [
          { value: report.lambdaDefaultTimeoutSeconds, label: `module default timeout ${report.lambdaDefaultTimeoutSeconds} s` },
          { value: report.lambdaTimeoutSeconds, label: `Lambda maximum ${report.lambdaTimeoutSeconds} s` },
        ],
      },
      PANEL_H,
    ),
    legend,
    `<text x="${MARGIN.left}" y="${height - 8}" font-size="10" fill="#555">${esc(note)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
