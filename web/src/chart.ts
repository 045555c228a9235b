// The reach chart: per hop distance from the shocked person, how many
// people there are (light bar) and how many of them moved by at least a
// point (dark bar), drawn as plain SVG.

import type { HopReach } from "./api";

const svgNS = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(svgNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function drawReach(container: HTMLElement, reach: HopReach[]): void {
  container.replaceChildren();
  container.dataset.bars = String(reach.length);
  const width = 320;
  const height = 170;
  const pad = { left: 40, right: 8, top: 10, bottom: 34 };
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
  for (const tick of [0, Math.round(max / 4), max]) {
    const t = el("text", { x: pad.left - 4, y: y(tick) + 3, class: "tick", "text-anchor": "end" });
    t.textContent = String(tick);
    svg.append(t);
  }
  reach.forEach((r, i) => {
    const x = pad.left + i * band + band * 0.15;
    const w = band * 0.7;
    const g = el("g", { class: "hop", "data-hop": r.hop });
    const all = el("rect", { x, y: y(r.people), width: w, height: pad.top + plotH - y(r.people), class: "people" });
    const moved = el("rect", { x, y: y(r.moved), width: w, height: pad.top + plotH - y(r.moved), class: "bar" });
    const tip = el("title", {});
    tip.textContent = `hop ${r.hop}: ${r.moved} of ${r.people} moved, ${r.points_lost.toFixed(1)} points lost`;
    moved.append(tip);
    const label = el("text", { x: x + w / 2, y: pad.top + plotH + 13, class: "tick", "text-anchor": "middle" });
    label.textContent = String(r.hop);
    const count = el("text", { x: x + w / 2, y: Math.min(y(r.moved), y(r.people)) - 3, class: "count", "text-anchor": "middle" });
    count.textContent = String(r.moved);
    g.append(all, moved, label, count);
    svg.append(g);
  });
  const xl = el("text", { x: pad.left + plotW / 2, y: height - 4, class: "tick", "text-anchor": "middle" });
  xl.textContent = "hops from the shocked person";
  svg.append(xl);
  container.append(svg);
}
