// Small SVG charts drawn by hand: a time chart (lines or stacked areas over
// time) and a horizontal bar chart (one bar per row, stacked parts). No
// library, no inline styles (the page's CSP has none): colours come from
// noc.css through a tone class per series (`tone-critical`, `tone-ok`, ...),
// which sets `--tone` from the theme's variables.
//
// Every chart is a <figure class="chart"> holding an <svg role="img"> with a
// <title> and an aria-label, and a legend. Each data point is one element
// with `data-point` (a time chart: a hover band per moment, carrying every
// series' value as `data-<series key>`; a bar chart: one <g> per bar), so a
// test can count and read the points.

const NS = "http://www.w3.org/2000/svg";
const M = { top: 8, right: 10, bottom: 20, left: 34 }; // plot margins, in viewBox units

/** An SVG element: s("rect", {x: 1, class: "bar"}, child, ...). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** 0 and a few round steps up to at least `max` (1, 2 or 5 times a power of ten). */
export function niceTicks(max, count = 3) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((v) => v >= raw) ?? 10 * power;
  const ticks = [];
  for (let v = 0; v < max + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function shortNumber(v) {
  if (Math.abs(v) >= 10_000) return `${Math.round(v / 1000)}k`;
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(1).replace(/\.0$/, "")}k`;
  return String(Math.round(v * 100) / 100);
}

function timeLabel(ms, spanMs) {
  const d = new Date(ms);
  if (spanMs > 2 * 86_400_000) return d.toLocaleDateString([], { month: "short", day: "numeric" });
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function legend(series) {
  const ul = document.createElement("ul");
  ul.className = "chart-legend";
  for (const sr of series) {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch tone-${sr.tone}${sr.dashed ? " dashed" : ""}`;
    li.append(swatch, sr.label);
    ul.append(li);
  }
  return ul;
}

function figure(title, svg, series, attrs) {
  const fig = document.createElement("figure");
  fig.className = `chart ${attrs.class ?? ""}`.trim();
  for (const [k, v] of Object.entries(attrs.data ?? {})) fig.dataset[k] = v;
  if (attrs.testid) fig.dataset.testid = attrs.testid;
  const cap = document.createElement("figcaption");
  cap.className = "chart-title";
  cap.textContent = title;
  fig.append(cap, svg);
  if (series.length > 1 || attrs.legend) fig.append(legend(series));
  return fig;
}

/**
 * Values over time, as lines (optionally stacked areas).
 * @param {object} o
 * @param {string} o.title
 * @param {{key: string, label: string, tone: string, dashed?: boolean, line?: boolean}[]} o.series
 *   drawn in order; `line` draws an unfilled line even when stacked (not stacked itself)
 * @param {{t: number, values: Record<string, number>}[]} o.points oldest first (t: epoch ms)
 * @param {number} [o.from] start of the time axis (ms); default the first point
 * @param {number} [o.to] end of the time axis (ms); default the last point
 * @param {number} [o.step] expected time between points (ms): a wider gap breaks the lines
 * @param {boolean} [o.stacked] stack the filled series
 * @param {number} [o.width] @param {number} [o.height] viewBox size
 * @param {(v: number) => string} [o.format] a value as text (tooltips)
 * @param {number} [o.xTicks] time labels minus one (default: 4 on a wide chart, 2 on a small one)
 * @param {string} [o.testid] @param {Record<string, string>} [o.data] dataset of the figure
 */
export function timeChart(o) {
  const { series, points } = o;
  const width = o.width ?? 320;
  const height = o.height ?? 120;
  const format = o.format ?? ((v) => String(v));
  const from = o.from ?? points[0]?.t ?? Date.now();
  const to = Math.max(o.to ?? points.at(-1)?.t ?? from, from + 1);
  const plotW = width - M.left - M.right;
  const plotH = height - M.top - M.bottom;
  const x = (t) => M.left + ((t - from) / (to - from)) * plotW;

  // Cumulative tops per point for stacked series; plain values otherwise.
  const filled = series.filter((sr) => !sr.line);
  const tops = points.map((p) => {
    const out = {};
    let acc = 0;
    for (const sr of series) {
      const v = Number(p.values[sr.key] ?? 0);
      if (o.stacked && !sr.line) {
        out[sr.key] = [acc, acc + v];
        acc += v;
      } else out[sr.key] = [0, v];
    }
    return out;
  });
  const max = Math.max(0, ...tops.flatMap((t) => Object.values(t).map((r) => r[1])));
  const ticks = niceTicks(max);
  const yMax = ticks.at(-1) || 1;
  const y = (v) => M.top + plotH - (v / yMax) * plotH;

  const svg = s("svg", {
    class: "chart-svg",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${o.title}: ${points.length} points`,
  });
  svg.append(s("title", { text: o.title }));

  const grid = s("g", { class: "chart-grid", "aria-hidden": "true" });
  for (const v of ticks) {
    grid.append(
      s("line", { x1: M.left, x2: width - M.right, y1: y(v), y2: y(v) }),
      s("text", { class: "chart-label", x: M.left - 4, y: y(v) + 3, "text-anchor": "end", text: shortNumber(v) }),
    );
  }
  const xTicks = o.xTicks ?? (width >= 600 ? 4 : 2);
  for (let i = 0; i <= xTicks; i++) {
    const t = from + ((to - from) * i) / xTicks;
    const anchor = i === 0 ? "start" : i === xTicks ? "end" : "middle";
    grid.append(
      s("text", { class: "chart-label", x: x(t), y: height - 5, "text-anchor": anchor, text: timeLabel(t, to - from) }),
    );
  }
  svg.append(grid);

  // Runs of points without a gap wider than 2.5 steps.
  const runs = [];
  points.forEach((p, i) => {
    if (i === 0 || (o.step && p.t - points[i - 1].t > 2.5 * o.step)) runs.push([]);
    runs.at(-1).push(i);
  });

  const drawn = o.stacked ? [...filled].reverse().concat(series.filter((sr) => sr.line)) : series;
  for (const sr of drawn) {
    const g = s("g", { class: `chart-series tone-${sr.tone}${sr.dashed ? " dashed" : ""}`, "data-series": sr.key });
    for (const run of runs) {
      const top = run.map((i) => `${x(points[i].t).toFixed(1)},${y(tops[i][sr.key][1]).toFixed(1)}`);
      if (!sr.line && (o.stacked || filled.length === 1)) {
        const base = run
          .map((i) => `${x(points[i].t).toFixed(1)},${y(tops[i][sr.key][0]).toFixed(1)}`)
          .reverse();
        g.append(s("path", { class: "chart-area", d: `M${top.join("L")}L${base.join("L")}Z` }));
      }
      if (run.length === 1) {
        const [px, py] = top[0].split(",");
        g.append(s("circle", { class: "chart-dot", cx: px, cy: py, r: 2 }));
      } else g.append(s("path", { class: "chart-line", d: `M${top.join("L")}` }));
    }
    svg.append(g);
  }

  // One hover band per point: its time and every series' value.
  const hits = s("g", { class: "chart-hits" });
  points.forEach((p, i) => {
    const left = i === 0 ? M.left : (x(points[i - 1].t) + x(p.t)) / 2;
    const right = i === points.length - 1 ? width - M.right : (x(p.t) + x(points[i + 1].t)) / 2;
    const band = s("rect", {
      class: "chart-hit",
      "data-point": "",
      "data-t": new Date(p.t).toISOString(),
      x: left.toFixed(1),
      y: M.top,
      width: Math.max(0.5, right - left).toFixed(1),
      height: plotH,
    });
    for (const sr of series) band.setAttribute(`data-${sr.key.toLowerCase()}`, String(p.values[sr.key] ?? 0));
    const when = new Date(p.t).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    band.append(s("title", { text: `${when}\n${series.map((sr) => `${sr.label}: ${format(p.values[sr.key] ?? 0)}`).join("\n")}` }));
    hits.append(band);
  });
  svg.append(hits);
  if (!points.length) {
    svg.append(s("text", { class: "chart-empty", x: width / 2, y: M.top + plotH / 2, "text-anchor": "middle", text: "no data" }));
  }
  return figure(o.title, svg, series, o);
}

/**
 * Horizontal bars, one per row, each stacked from its series' parts.
 * @param {object} o
 * @param {string} o.title
 * @param {{key: string, label: string, tone: string}[]} o.series
 * @param {{key: string, label: string, values: Record<string, number|null>, tone?: string}[]} o.bars
 *   a bar's `tone` overrides the series' (a single-series chart coloured per bar)
 * @param {(v: number|null) => string} [o.format] the value shown after each bar (its total)
 * @param {(max: number) => number[]} [o.ticks] the scale's ticks up to at least max (default niceTicks)
 * @param {(v: number) => string} [o.tickFormat] a tick as text (default: a short number)
 * @param {number} [o.max] the scale's end (default: the largest total)
 * @param {number} [o.width] @param {number} [o.labelWidth]
 * @param {string} [o.testid] @param {Record<string, string>} [o.data] dataset of the figure
 */
export function barChart(o) {
  const { series, bars } = o;
  const width = o.width ?? 560;
  const labelW = o.labelWidth ?? 150;
  const valueW = 64;
  const row = 22;
  const top = 4;
  const axis = 18;
  const height = top + Math.max(1, bars.length) * row + axis;
  const format = o.format ?? ((v) => (v === null ? "—" : String(v)));
  const total = (b) => series.reduce((sum, sr) => sum + (Number(b.values[sr.key]) || 0), 0);
  const ticks = (o.ticks ?? niceTicks)(o.max ?? Math.max(0, ...bars.map(total)));
  const tickText = o.tickFormat ?? shortNumber;
  const scaleMax = o.max ?? (ticks.at(-1) || 1);
  const plotW = width - labelW - valueW;
  const x = (v) => labelW + (Math.min(v, scaleMax) / scaleMax) * plotW;

  const svg = s("svg", {
    class: "chart-svg",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${o.title}: ${bars.length} bars`,
  });
  svg.append(s("title", { text: o.title }));
  const grid = s("g", { class: "chart-grid", "aria-hidden": "true" });
  for (const v of o.max ? [0, o.max / 2, o.max] : ticks) {
    grid.append(
      s("line", { x1: x(v), x2: x(v), y1: top, y2: height - axis }),
      s("text", { class: "chart-label", x: x(v), y: height - 5, "text-anchor": "middle", text: tickText(v) }),
    );
  }
  svg.append(grid);

  bars.forEach((b, i) => {
    const y0 = top + i * row;
    const g = s("g", { class: "chart-bar", "data-point": "", "data-key": b.key, "data-value": String(total(b)) });
    const label = b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label;
    g.append(s("text", { class: "chart-bar-label", x: labelW - 6, y: y0 + row / 2 + 4, "text-anchor": "end", text: label }));
    let acc = 0;
    for (const sr of series) {
      const v = Number(b.values[sr.key]) || 0;
      if (v > 0) {
        g.append(
          s("rect", {
            class: `chart-bar-part tone-${b.tone ?? sr.tone}`,
            "data-series": sr.key,
            x: x(acc).toFixed(1),
            y: y0 + 4,
            width: Math.max(1, x(acc + v) - x(acc)).toFixed(1),
            height: row - 8,
          }),
        );
      }
      acc += v;
    }
    const shown = series.length === 1 ? b.values[series[0].key] : total(b);
    g.append(s("text", { class: "chart-bar-value", x: x(acc) + 5, y: y0 + row / 2 + 4, text: format(shown ?? null) }));
    const parts = series.map((sr) => `${sr.label}: ${format(b.values[sr.key] ?? null)}`).join("\n");
    g.append(s("title", { text: `${b.label}\n${parts}` }));
    svg.append(g);
  });
  if (!bars.length) {
    svg.append(s("text", { class: "chart-empty", x: width / 2, y: top + row / 2 + 4, "text-anchor": "middle", text: "no data" }));
  }
  return figure(o.title, svg, series, o);
}
