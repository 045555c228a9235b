// The reach chart: per hop distance from the shocked person, how many
// people there are (light bar) and how many of them moved by at least a
// point (dark bar, in the shock palette's colour of a loss), drawn as
// plain SVG with a legend and round ticks.

import type { HopReach } from "./api";
import { shockLoss } from "./colors";

/**
 * roundTicks returns 0 and the multiples of a round step (1, 2 or 5 times
 * a power of ten) up to max: the smallest such step that gives at most
 * four ticks above 0, so ticks read 0, 5,000, 10,000, never 3505 or 14019.
 */
export function roundTicks(max: number): number[] {
  if (!(max >= 1)) return [0];
  let step = 1;
  for (let p = 1; ; p *= 10) {
    const s = [1, 2, 5].map((m) => m * p).find((s) => Math.floor(max / s) <= 4);
    if (s !== undefined) {
      step = s;
      break;
    }
  }
  const out: number[] = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}

const fmt = new Intl.NumberFormat("en-US");

const svgNS = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function drawReach(container: HTMLElement, reach: HopReach[]): void {
  container.replaceChildren();
  const legend = document.createElement("div");
  legend.className = "legend chart-legend";
  legend.dataset.testid = "reach-legend";
  for (const [cls, name] of [
    ["people", "people at that distance"],
    ["bar", "moved by a point or more"],
  ]) {
    const span = document.createElement("span");
    const sw = document.createElement("i");
    sw.className = cls;
    if (cls === "bar") sw.style.backgroundColor = shockLoss;
    span.append(sw, name);
    legend.append(span);
  }
  container.append(legend);
  container.dataset.bars = String(reach.length);
  const width = 320;
  const height = 170;
  const pad = { left: 54, right: 8, top: 10, bottom: 34 };
  const max = Math.max(1, ...reach.map((r) => r.people));
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", width: "100%" });
  const title = el("title", {});
  title.textContent = "People reached by the shock, by hop distance";
  svg.append(title);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const band = plotW / Math.max(reach.length, 1);
  const y = (v: number) => pad.top + plotH - (plotH * Math.sqrt(v)) / Math.sqrt(max);
  // axis with a square-root scale (hop 0 has one person, later hops thousands)
  svg.append(el("line", { x1: pad.left, y1: pad.top + plotH, x2: width - pad.right, y2: pad.top + plotH, class: "axis" }));
  for (const tick of roundTicks(max)) {
    const t = el("text", { x: pad.left - 4, y: y(tick) + 3, class: "tick y", "text-anchor": "end", "data-value": tick });
    t.textContent = fmt.format(tick);
    svg.append(t);
    if (tick > 0) svg.append(el("line", { x1: pad.left, y1: y(tick), x2: width - pad.right, y2: y(tick), class: "grid" }));
  }
  reach.forEach((r, i) => {
    const x = pad.left + i * band + band * 0.15;
    const w = band * 0.7;
    const g = el("g", { class: "hop", "data-hop": r.hop });
    const all = el("rect", { x, y: y(r.people), width: w, height: pad.top + plotH - y(r.people), class: "people" });
    const moved = el("rect", { x, y: y(r.moved), width: w, height: pad.top + plotH - y(r.moved), class: "bar", fill: shockLoss });
    const tip = el("title", {});
    tip.textContent = `hop ${r.hop}: ${r.moved} of ${r.people} moved, ${r.points_lost.toFixed(1)} points lost`;
    moved.append(tip);
    const label = el("text", { x: x + w / 2, y: pad.top + plotH + 13, class: "tick x", "text-anchor": "middle" });
    label.textContent = String(r.hop);
    const count = el("text", { x: x + w / 2, y: Math.min(y(r.moved), y(r.people)) - 3, class: "count", "text-anchor": "middle" });
    count.textContent = fmt.format(r.moved);
    g.append(all, moved, label, count);
    svg.append(g);
  });
  const xl = el("text", { x: pad.left + plotW / 2, y: height - 4, class: "tick", "text-anchor": "middle" });
  xl.textContent = "hops from the shocked person";
  const yl = el("text", { x: 10, y: pad.top + plotH / 2, class: "tick", "text-anchor": "middle", transform: `rotate(-90 10 ${pad.top + plotH / 2})` });
  yl.textContent = "people (√ scale)";
  svg.append(yl);
  svg.append(xl);
  container.append(svg);
}
