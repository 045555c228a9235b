// The network drawing: cytoscape on a canvas (no WebGL needed, so it draws
// the same in any browser, headless ones included), laid out by
// ForceAtlas2 (graphology) from rings by hop distance. Nodes are coloured
// by score band and sized by centrality (PageRank percentile); during a
// shock they are recoloured by their score change.

import cytoscape from "cytoscape";
import Graph from "graphology";
import forceAtlas2 from "graphology-layout-forceatlas2";

import type { EgoNetwork, EgoPerson } from "./api";
import { deltaColor, unscored } from "./colors";

const golden = Math.PI * (3 - Math.sqrt(5));

/**
 * Extent is the radius, in model units, that layouts are scaled to; the
 * view is fitted to it, so one unit is about one pixel on a laptop screen.
 */
const Extent = 420;

/**
 * nodeSize maps the PageRank percentile (0..100) to a diameter: from a
 * quarter to three quarters of the mean spacing between people, so that
 * big networks do not turn into a blot and small ones stay readable.
 */
function nodeSize(p: EgoPerson, n: number): number {
  const spacing = (2 * Extent) / Math.sqrt(Math.max(n, 1));
  const pct = (p.percentile ?? 0) / 100;
  return Math.max(3, Math.min(44, spacing * (0.22 + 0.55 * pct * pct * pct)));
}

/**
 * layout returns positions on rings by hop distance (the centre in the
 * middle, everyone at hop h on the h-th ring, rings sized by how many
 * people they hold), which is how far a shock has to travel to reach
 * them. The order around the rings and within each ring's width comes from
 * a ForceAtlas2 layout, so friends sit near each other and communities
 * show as sectors.
 */
function layout(net: EgoNetwork): Map<number, { x: number; y: number }> {
  const g = new Graph({ type: "undirected", multi: false });
  const hopOf = new Map<number, number>();
  const perHop = new Map<number, number>();
  for (const p of net.people) {
    const k = perHop.get(p.hop) ?? 0;
    perHop.set(p.hop, k + 1);
    hopOf.set(p.id, p.hop);
    const r = p.hop === 0 ? 0 : 60 * p.hop + 8 * Math.sqrt(k);
    g.addNode(String(p.id), { x: r * Math.cos(k * golden), y: r * Math.sin(k * golden) });
  }
  for (const t of net.ties) {
    const a = String(t.from);
    const b = String(t.to);
    if (g.hasNode(a) && g.hasNode(b) && !g.hasEdge(a, b)) {
      g.addEdge(a, b, { weight: t.kind === "friend" ? (t.weight ?? 1) : 0.5 });
    }
  }
  const n = g.order;
  if (n > 2) {
    const settings = forceAtlas2.inferSettings(g);
    settings.barnesHutOptimize = n > 300;
    forceAtlas2.assign(g, { iterations: n > 1200 ? 60 : n > 300 ? 100 : 200, settings, getEdgeWeight: "weight" });
  }
  const center = g.hasNode(String(net.center)) ? g.getNodeAttributes(String(net.center)) : { x: 0, y: 0 };
  const cx = center.x as number;
  const cy = center.y as number;

  // Ring h spans radii (R[h-1], R[h]] with area proportional to its people.
  const hops = [...perHop.keys()].sort((a, b) => a - b);
  const outer = new Map<number, number>();
  const inner = new Map<number, number>();
  let cum = 0;
  let prev = 0;
  for (const h of hops) {
    cum += perHop.get(h)!;
    const r = h === 0 ? 0 : Extent * Math.sqrt(cum / n);
    inner.set(h, prev);
    outer.set(h, r);
    prev = r;
  }
  const out = new Map<number, { x: number; y: number }>();
  for (const h of hops) {
    const ids: { id: number; angle: number; dist: number }[] = [];
    g.forEachNode((key, a) => {
      const id = Number(key);
      if (hopOf.get(id) !== h) return;
      const dx = (a.x as number) - cx;
      const dy = (a.y as number) - cy;
      ids.push({ id, angle: Math.atan2(dy, dx), dist: Math.hypot(dx, dy) });
    });
    if (h === 0) {
      for (const e of ids) out.set(e.id, { x: 0, y: 0 });
      continue;
    }
    const m = ids.length;
    const distRank = new Map([...ids].sort((a, b) => a.dist - b.dist || a.id - b.id).map((e, i) => [e.id, i]));
    ids.sort((a, b) => a.angle - b.angle || a.id - b.id);
    const r0 = inner.get(h)!;
    const r1 = outer.get(h)!;
    ids.forEach((e, i) => {
      // Spread the angles evenly in the force layout's order, and the
      // radii across the ring's width in its order of distance.
      const theta = (2 * Math.PI * (i + 0.5)) / m;
      const t = m > 1 ? distRank.get(e.id)! / (m - 1) : 0.5;
      const r = r0 + (r1 - r0) * (0.2 + 0.65 * t);
      out.set(e.id, { x: r * Math.cos(theta), y: r * Math.sin(theta) });
    });
  }
  return out;
}

export class NetworkView {
  private cy: cytoscape.Core | null = null;
  private net: EgoNetwork | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly onSelect: (p: EgoPerson) => void,
  ) {}

  get network(): EgoNetwork | null {
    return this.net;
  }

  /** render draws the network and resolves once a frame is on screen. */
  async render(net: EgoNetwork, bands: Map<string, string>): Promise<void> {
    this.destroy();
    this.net = net;
    const n = net.people.length;
    const pos = layout(net);
    const byID = new Map(net.people.map((p) => [p.id, p]));
    const elements: cytoscape.ElementDefinition[] = [];
    for (const p of net.people) {
      elements.push({
        group: "nodes",
        data: {
          id: String(p.id),
          label: String(p.id),
          size: nodeSize(p, n),
          color: p.scored && p.band ? (bands.get(p.band) ?? unscored) : unscored,
        },
        position: pos.get(p.id) ?? { x: 0, y: 0 },
        classes: p.id === net.center ? "center" : "",
      });
    }
    for (const t of net.ties) {
      if (!byID.has(t.from) || !byID.has(t.to)) continue;
      elements.push({
        group: "edges",
        data: { id: `${t.kind}-${t.from}-${t.to}`, source: String(t.from), target: String(t.to) },
        classes: t.kind,
      });
    }
    const big = n > 600;
    const cy = cytoscape({
      container: this.container,
      elements,
      layout: { name: "preset", fit: true, padding: 20 },
      minZoom: 0.02,
      maxZoom: 6,
      boxSelectionEnabled: false,
      autoungrabify: big,
      hideEdgesOnViewport: big,
      textureOnViewport: big,
      pixelRatio: big ? 1 : "auto",
      style: [
        {
          selector: "node",
          style: {
            width: "data(size)",
            height: "data(size)",
            "background-color": "data(color)",
            "border-width": 0.5,
            "border-color": "#5b6070",
            "border-opacity": 0.5,
          },
        },
        {
          selector: "node.center",
          style: { "border-width": 3, "border-color": "#111827", "border-opacity": 1, label: "data(label)", "font-size": 11, "text-valign": "top", "text-margin-y": -4 },
        },
        {
          selector: "node.shocked",
          style: { "border-width": 4, "border-color": "#7f1d1d", "border-opacity": 1, label: "data(label)", "font-size": 11, "text-valign": "top" },
        },
        {
          selector: "node:selected",
          style: { "border-width": 3, "border-color": "#2563eb", "border-opacity": 1, label: "data(label)", "font-size": 11, "text-valign": "top" },
        },
        {
          selector: "edge",
          style: { width: big ? 0.4 : 0.8, "line-color": "#9aa1ae", opacity: big ? 0.35 : 0.6, "curve-style": "haystack" },
        },
        {
          selector: "edge.recruited",
          style: big
            ? { "line-color": "#a78bfa", opacity: 0.3 }
            : {
                "line-style": "dashed",
                "line-color": "#8b5cf6",
                "curve-style": "straight",
                "target-arrow-shape": "triangle",
                "target-arrow-color": "#8b5cf6",
                "arrow-scale": 0.6,
              },
        },
      ],
    });
    this.cy = cy;
    cy.on("tap", "node", (ev) => {
      const p = byID.get(Number(ev.target.id()));
      if (p) this.onSelect(p);
    });
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          resolve();
        }
      };
      cy.one("render", finish);
      setTimeout(finish, 2000);
    });
    this.container.dataset.nodeCount = String(cy.nodes().length);
    this.container.dataset.edgeCount = String(cy.edges().length);
    this.container.dataset.center = String(net.center);
  }

  /** recolor colours every node by its change (points) and marks the shocked. */
  recolor(delta: Map<number, number>, scale: number, shocked: Set<number>): number {
    const cy = this.cy;
    if (!cy) return 0;
    let moved = 0;
    cy.batch(() => {
      cy.nodes().forEach((node) => {
        const id = Number(node.id());
        const d = delta.get(id) ?? 0;
        if (Math.abs(d) >= 1) moved++;
        node.data("color", deltaColor(d, scale));
        node.toggleClass("shocked", shocked.has(id));
      });
    });
    this.container.dataset.moved = String(moved);
    return moved;
  }

  /** showBands puts the band colours back. */
  showBands(bands: Map<string, string>): void {
    const cy = this.cy;
    const net = this.net;
    if (!cy || !net) return;
    const byID = new Map(net.people.map((p) => [p.id, p]));
    cy.batch(() => {
      cy.nodes().forEach((node) => {
        const p = byID.get(Number(node.id()));
        node.data("color", p && p.scored && p.band ? (bands.get(p.band) ?? unscored) : unscored);
        node.removeClass("shocked");
      });
    });
    delete this.container.dataset.moved;
  }

  /** select highlights a node. */
  select(id: number): void {
    const cy = this.cy;
    if (!cy) return;
    cy.nodes(":selected").unselect();
    cy.getElementById(String(id)).select();
  }

  destroy(): void {
    this.cy?.destroy();
    this.cy = null;
    this.net = null;
    delete this.container.dataset.nodeCount;
    delete this.container.dataset.edgeCount;
    delete this.container.dataset.moved;
  }
}
