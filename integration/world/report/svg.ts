/**
 * Draws a Timeline as a standalone SVG: one lane per runner instance, coloured by state,
 * with a legend, a time axis in seconds and a row of ticks for the reaper's runs.
 * Plain SVG 1.1 with inline attributes, so any browser or image viewer opens it.
 */
import { LANE_STATES, type Lane, type LaneState, type Timeline } from './timeline';

export const STATE_COLOURS: Record<LaneState, string> = {
  idle: '#f5b82e',
  busy: '#2f9e44',
  draining: '#7048e8',
  unregistered: '#f08c8c',
  terminated: '#ced4da',
};

const STATE_LABELS: Record<LaneState, string> = {
  idle: 'idle',
  busy: 'busy (job running)',
  draining: 'draining (deregistered)',
  unregistered: 'running, not registered',
  terminated: 'terminated',
};

const RUN_COLOURS = { 'scale-down': '#1c7ed6', 'orphan-cleanup': '#862e9c' } as const;

/** The machine evidence badge of a lane: what the instance can prove about its jobs. */
export const EVIDENCE_COLOURS: Record<string, string> = { hooks: '#2b8a3e', probe: '#1971c2', none: '#868e96' };
const EVIDENCE_LABELS: Record<string, string> = {
  hooks: 'hooks (boot marker, job tags)',
  probe: 'probe (SSM, Runner.Worker)',
  none: 'none (GitHub only)',
};

const LAYOUT = {
  width: 1200,
  labelWidth: 370,
  rightPad: 30,
  top: 110,
  laneHeight: 24,
  laneGap: 8,
  runsRow: 30,
  axis: 40,
};

export interface SvgOptions {
  title?: string;
  /** One line under the title (e.g. the report's headline numbers). */
  subtitle?: string;
}

export function renderTimelineSvg(timeline: Timeline, opts: SvgOptions = {}): string {
  const L = LAYOUT;
  const span = Math.max(1, timeline.end - timeline.start);
  const plotLeft = L.labelWidth;
  const plotWidth = L.width - L.labelWidth - L.rightPad;
  const x = (t: number) => plotLeft + ((t - timeline.start) / span) * plotWidth;
  const lanesHeight = timeline.lanes.length * (L.laneHeight + L.laneGap);
  const runsTop = L.top + lanesHeight + 4;
  const axisTop = runsTop + L.runsRow;
  const height = axisTop + L.axis;
  const out: string[] = [];

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${height}" viewBox="0 0 ${L.width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${L.width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="18" font-weight="bold" fill="#212529">${esc(opts.title ?? 'Runner timeline')}</text>`,
  );
  if (opts.subtitle) out.push(`<text x="16" y="46" fill="#495057">${esc(opts.subtitle)}</text>`);
  out.push(legend(16, 70), evidenceLegend(16, 90));

  timeline.lanes.forEach((lane, i) => {
    const y = L.top + i * (L.laneHeight + L.laneGap);
    out.push(laneSvg(lane, y, x, plotLeft, plotWidth));
    for (const m of timeline.markers.filter((mk) => mk.instanceId === lane.instanceId)) {
      const mx = n(x(m.at));
      out.push(`<path d="M ${mx} ${y + 8} l -6 -12 h 12 z" fill="#e8590c" stroke="#ffffff" stroke-width="0.8"><title>${esc(m.label)}</title></path>`);
    }
  });

  out.push(
    `<text x="${plotLeft - 8}" y="${runsTop + 11}" font-size="11" fill="${RUN_COLOURS['scale-down']}" text-anchor="end">scale-down runs (n = terminated)</text>`,
    `<text x="${plotLeft - 8}" y="${runsTop + 23}" font-size="11" fill="${RUN_COLOURS['orphan-cleanup']}" text-anchor="end">orphan-cleanup runs</text>`,
  );
  for (const run of timeline.runs) {
    const rx = x(run.startedAt);
    const w = Math.max(2, x(run.endedAt) - rx);
    const rowY = runsTop + (run.fn === 'scale-down' ? 2 : 14);
    const colour = run.ok ? RUN_COLOURS[run.fn] : '#e03131';
    const note = `${run.fn} at ${secondsOf(run.startedAt - timeline.start)}: ${run.terminated} terminated, ${run.racesCaught} races caught${run.ok ? '' : ' (FAILED)'}`;
    out.push(
      `<rect x="${n(rx)}" y="${rowY}" width="${n(w)}" height="10" fill="${colour}" opacity="0.8"><title>${esc(note)}</title></rect>`,
    );
    if (run.terminated > 0) {
      out.push(`<text x="${n(rx + w / 2)}" y="${rowY + 9}" font-size="9" fill="#ffffff" text-anchor="middle">${run.terminated}</text>`);
    }
  }

  out.push(axis(timeline.start, span, x, plotLeft, plotWidth, L.top - 6, axisTop));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function laneSvg(lane: Lane, y: number, x: (t: number) => number, plotLeft: number, plotWidth: number): string {
  const L = LAYOUT;
  const parts: string[] = [
    `<g class="lane" data-instance-id="${esc(lane.instanceId)}">`,
    `<text x="16" y="${y + L.laneHeight / 2 + 4}" font-family="Menlo, Consolas, monospace" font-size="11" fill="#212529">${esc(lane.instanceId)}</text>`,
    ...(lane.evidence ? [evidenceBadge(lane.evidence, 160, y + 4)] : []),
    `<text x="${plotLeft - 8}" y="${y + L.laneHeight / 2 + 4}" font-size="11" fill="#868e96" text-anchor="end">${esc(lane.kind)}</text>`,
    `<rect x="${plotLeft}" y="${y}" width="${plotWidth}" height="${L.laneHeight}" fill="#ffffff" stroke="#e9ecef"/>`,
  ];
  for (const seg of lane.segments) {
    const sx = x(seg.from);
    const w = Math.max(0.5, x(seg.to) - sx);
    const title = `${lane.instanceId}: ${seg.state}${seg.deregistered && seg.state === 'busy' ? ' (deregistered, job spared)' : ''}`;
    parts.push(
      `<rect x="${n(sx)}" y="${y}" width="${n(w)}" height="${L.laneHeight}" fill="${STATE_COLOURS[seg.state]}"><title>${esc(title)}</title></rect>`,
    );
    // A job running on a runner that scale-down already deregistered: the race it survived.
    if (seg.deregistered && seg.state === 'busy') {
      parts.push(`<rect x="${n(sx)}" y="${y + L.laneHeight - 6}" width="${n(w)}" height="6" fill="${STATE_COLOURS.draining}"/>`);
    }
  }
  parts.push('</g>');
  return parts.join('\n');
}

function evidenceBadge(evidence: string, x: number, y: number): string {
  const colour = EVIDENCE_COLOURS[evidence] ?? EVIDENCE_COLOURS.none!;
  return (
    `<g class="evidence" data-evidence="${esc(evidence)}"><rect x="${x}" y="${y}" width="44" height="16" rx="3" fill="${colour}"/>` +
    `<text x="${x + 22}" y="${y + 12}" font-size="10" fill="#ffffff" text-anchor="middle">${esc(evidence)}</text>` +
    `<title>machine evidence: ${esc(EVIDENCE_LABELS[evidence] ?? evidence)}</title></g>`
  );
}

function evidenceLegend(left: number, y: number): string {
  const items = [`<text x="${left}" y="${y + 1}" fill="#495057">machine evidence:</text>`];
  let cursor = left + 122;
  for (const [evidence, label] of Object.entries(EVIDENCE_LABELS)) {
    items.push(evidenceBadge(evidence, cursor, y - 11), `<text x="${cursor + 50}" y="${y + 1}" fill="#212529">${esc(label.replace(/^\w+ /, ''))}</text>`);
    cursor += 50 + label.length * 6.2 + 10;
  }
  return `<g class="legend-evidence">\n${items.join('\n')}\n</g>`;
}

function legend(left: number, y: number): string {
  const items: string[] = [];
  let cursor = left;
  for (const state of LANE_STATES) {
    items.push(
      `<rect x="${cursor}" y="${y - 10}" width="14" height="14" fill="${STATE_COLOURS[state]}" stroke="#adb5bd" stroke-width="0.5"/>`,
      `<text x="${cursor + 20}" y="${y + 1}" fill="#212529">${esc(STATE_LABELS[state])}</text>`,
    );
    cursor += 20 + STATE_LABELS[state].length * 6.2 + 18;
  }
  items.push(
    `<rect x="${cursor}" y="${y - 10}" width="14" height="14" fill="${STATE_COLOURS.busy}"/>`,
    `<rect x="${cursor}" y="${y}" width="14" height="4" fill="${STATE_COLOURS.draining}"/>`,
    `<text x="${cursor + 20}" y="${y + 1}" fill="#212529">busy after deregistration (job spared)</text>`,
  );
  cursor += 20 + 38 * 6.2 + 18;
  items.push(
    `<path d="M ${cursor + 7} ${y + 4} l -6 -12 h 12 z" fill="#e8590c"/>`,
    `<text x="${cursor + 20}" y="${y + 1}" fill="#212529">forced race</text>`,
  );
  return `<g class="legend">\n${items.join('\n')}\n</g>`;
}

function axis(start: number, span: number, x: (t: number) => number, plotLeft: number, plotWidth: number, gridTop: number, axisTop: number): string {
  const step = tickStep(span);
  const parts = [
    `<g class="axis">`,
    `<line x1="${plotLeft}" y1="${axisTop}" x2="${plotLeft + plotWidth}" y2="${axisTop}" stroke="#495057"/>`,
  ];
  for (let t = 0; t <= span; t += step) {
    const tx = n(x(start + t));
    parts.push(
      `<line x1="${tx}" y1="${gridTop}" x2="${tx}" y2="${axisTop}" stroke="#ced4da" stroke-width="0.5" stroke-dasharray="2,3"/>`,
      `<line x1="${tx}" y1="${axisTop}" x2="${tx}" y2="${axisTop + 5}" stroke="#495057"/>`,
      `<text x="${tx}" y="${axisTop + 18}" text-anchor="middle" fill="#495057">${secondsOf(t)}</text>`,
    );
  }
  parts.push(`<text x="${plotLeft + plotWidth}" y="${axisTop + 34}" text-anchor="end" fill="#868e96">seconds since start (real time)</text>`, '</g>');
  return parts.join('\n');
}

/** A round tick step giving at most about 12 ticks. */
export function tickStep(spanMs: number): number {
  for (const s of [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600]) if (spanMs / (s * 1000) <= 12) return s * 1000;
  return 1_800_000;
}

function secondsOf(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}

function n(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
