/** Hand-written SVG charts for docs/benchmarks.md: no dependencies, deterministic output. */

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n = (v: number) => (Math.round(v * 10) / 10).toString();

/** A "nice" step (1, 2 or 5 × 10^k) so that about `count` steps cover `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * pow;
}

/** Axis labels: 5k, 1.5M. */
const label = (v: number) =>
  Math.abs(v) >= 1_000_000
    ? `${n(v / 1_000_000)}M`
    : Math.abs(v) >= 1000
      ? `${n(v / 1000)}k`
      : Number.isInteger(v)
        ? String(v)
        : v.toFixed(1);

/** Data labels: 6,752; 12.5. */
const value = (v: number) => v.toLocaleString('en', { maximumFractionDigits: Math.abs(v) >= 100 ? 0 : 1 });

function svg(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** A histogram of `values` with vertical marker lines (p50, p99, a goal…). */
export function histogram(opts: {
  title: string;
  values: readonly number[];
  unit: string;
  markers?: ReadonlyArray<{ at: number; label: string }>;
  bins?: number;
}): string {
  const W = 760;
  const H = 340;
  const m = { left: 56, right: 20, top: 40, bottom: 48 };
  const values = opts.values;
  const markers = opts.markers ?? [];
  const lo0 = Math.min(...values, ...markers.map((x) => x.at));
  const hi0 = Math.max(...values, ...markers.map((x) => x.at));
  const width = niceStep(hi0 - lo0 || 1, opts.bins ?? 40);
  const lo = Math.floor(lo0 / width) * width;
  const hi = (Math.floor(hi0 / width) + 1) * width;
  const bins = Math.round((hi - lo) / width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  const maxCount = Math.max(...counts, 1);
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const x = (v: number) => m.left + ((v - lo) / (hi - lo)) * pw;
  const y = (c: number) => m.top + ph - (c / maxCount) * ph;
  const body: string[] = [
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="600">${esc(opts.title)}</text>`,
  ];
  const yStep = niceStep(maxCount, 5);
  for (let c = 0; c <= maxCount; c += yStep) {
    body.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${n(y(c))}" y2="${n(y(c))}" stroke="#e5e7eb"/>`,
      `<text x="${m.left - 6}" y="${n(y(c) + 4)}" text-anchor="end" fill="#374151">${label(c)}</text>`,
    );
  }
  counts.forEach((c, i) => {
    if (c === 0) return;
    const x0 = x(lo + i * width);
    const x1 = x(lo + (i + 1) * width);
    body.push(
      `<rect x="${n(x0 + 0.5)}" y="${n(y(c))}" width="${n(Math.max(1, x1 - x0 - 1))}" height="${n(m.top + ph - y(c))}" fill="#3b82f6"/>`,
    );
  });
  const xStep = niceStep(hi - lo, 8);
  for (let v = Math.ceil(lo / xStep) * xStep; v <= hi; v += xStep) {
    body.push(
      `<line x1="${n(x(v))}" x2="${n(x(v))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#374151"/>`,
      `<text x="${n(x(v))}" y="${m.top + ph + 18}" text-anchor="middle" fill="#374151">${label(v)}</text>`,
    );
  }
  body.push(
    `<line x1="${m.left}" x2="${W - m.right}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#374151"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle" fill="#111827">${esc(opts.unit)}</text>`,
    `<text x="14" y="${m.top + ph / 2}" text-anchor="middle" fill="#111827" transform="rotate(-90 14 ${m.top + ph / 2})">samples</text>`,
  );
  const colors = ['#059669', '#d97706', '#dc2626', '#7c3aed'];
  markers.forEach((mk, i) => {
    const color = colors[i % colors.length]!;
    // labels right of their line, or left of it near the right edge
    const right = x(mk.at) > m.left + pw * 0.8;
    body.push(
      `<line x1="${n(x(mk.at))}" x2="${n(x(mk.at))}" y1="${m.top}" y2="${m.top + ph}" stroke="${color}" stroke-width="2" stroke-dasharray="5 3"/>`,
      `<text x="${n(x(mk.at) + (right ? -4 : 4))}" y="${m.top + 12 + i * 14}" text-anchor="${right ? 'end' : 'start'}" fill="${color}">${esc(`${mk.label} ${value(mk.at)} ${opts.unit}`)}</text>`,
    );
  });
  return svg(W, H, opts.title, body);
}

export interface Panel {
  title: string;
  /** y-axis unit */
  unit: string;
  points: ReadonlyArray<readonly [x: number, y: number]>;
  /** start the y axis at 0 (default true) */
  zero?: boolean;
}

/** Side-by-side line charts sharing an x axis (e.g. figures against the number of accounts). */
export function panels(opts: { title: string; xLabel: string; panels: readonly Panel[] }): string {
  const PW = 300;
  const H = 300;
  const m = { left: 62, right: 18, top: 58, bottom: 46 };
  const W = PW * opts.panels.length;
  const body: string[] = [
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="600">${esc(opts.title)}</text>`,
  ];
  opts.panels.forEach((p, i) => {
    const ox = i * PW;
    const pw = PW - m.left - m.right;
    const ph = H - m.top - m.bottom;
    const xs = p.points.map((q) => q[0]);
    const ys = p.points.map((q) => q[1]);
    const xHi = Math.max(...xs) * 1.05;
    const xLo = 0;
    const yHi0 = Math.max(...ys) * 1.15 || 1;
    const yLo = p.zero === false ? Math.min(...ys) * 0.9 : 0;
    const yStep = niceStep(yHi0 - yLo, 4);
    const yHi = Math.ceil(yHi0 / yStep) * yStep;
    const x = (v: number) => ox + m.left + ((v - xLo) / (xHi - xLo)) * pw;
    const y = (v: number) => m.top + ph - ((v - yLo) / (yHi - yLo)) * ph;
    body.push(
      `<text x="${ox + m.left + pw / 2}" y="44" text-anchor="middle" font-size="13" font-weight="600">${esc(p.title)}</text>`,
    );
    for (let v = Math.ceil(yLo / yStep) * yStep; v <= yHi + 1e-9; v += yStep) {
      body.push(
        `<line x1="${ox + m.left}" x2="${ox + m.left + pw}" y1="${n(y(v))}" y2="${n(y(v))}" stroke="#e5e7eb"/>`,
        `<text x="${ox + m.left - 6}" y="${n(y(v) + 4)}" text-anchor="end" fill="#374151">${label(v)}</text>`,
      );
    }
    const xStep = niceStep(xHi - xLo, 4);
    for (let v = 0; v <= xHi; v += xStep) {
      body.push(
        `<line x1="${n(x(v))}" x2="${n(x(v))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#374151"/>`,
        `<text x="${n(x(v))}" y="${m.top + ph + 18}" text-anchor="middle" fill="#374151">${label(v)}</text>`,
      );
    }
    body.push(
      `<line x1="${ox + m.left}" x2="${ox + m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#374151"/>`,
      `<line x1="${ox + m.left}" x2="${ox + m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#374151"/>`,
      `<text x="${ox + m.left + pw / 2}" y="${H - 8}" text-anchor="middle" fill="#111827">${esc(opts.xLabel)}</text>`,
      `<text x="${ox + 14}" y="${m.top + ph / 2}" text-anchor="middle" fill="#111827" transform="rotate(-90 ${ox + 14} ${m.top + ph / 2})">${esc(p.unit)}</text>`,
    );
    const sortedPts = [...p.points].sort((a, b) => a[0] - b[0]);
    body.push(
      `<polyline fill="none" stroke="#3b82f6" stroke-width="2" points="${sortedPts.map((q) => `${n(x(q[0]))},${n(y(q[1]))}`).join(' ')}"/>`,
    );
    for (const q of sortedPts) {
      body.push(
        `<circle cx="${n(x(q[0]))}" cy="${n(y(q[1]))}" r="3.5" fill="#1d4ed8"/>`,
        `<text x="${n(x(q[0]))}" y="${n(y(q[1]) - 8)}" text-anchor="middle" font-size="11" fill="#1f2937">${value(q[1])}</text>`,
      );
    }
  });
  return svg(W, H, opts.title, body);
}
