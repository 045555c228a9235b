// The network drawing: cytoscape on a canvas (no WebGL needed, so it draws
// the same in any browser, headless ones included), laid out by
// ForceAtlas2 (graphology) from rings by hop distance. Nodes are coloured
// by score band and sized by centrality (PageRank percentile, or a
// researcher's degree class); during a shock they are recoloured by their
// score change. The person asked about sits in the middle of the view,
// bigger than anyone else, outlined and drawn on top.

import cytoscape from "cytoscape";
import Graph from "graphology";
import forceAtlas2 from "graphology-layout-forceatlas2";

import { deltaColor, unscored, withheld } from "./colors";
import { Withheld, type Person, type View } from "./model";

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
function nodeSize(p: Person, n: number): number {
  const spacing = (2 * Extent) / Math.sqrt(Math.max(n, 1));
  const c = p.centrality;
  return Math.max(3, Math.min(MaxNodeSize, spacing * (0.22 + 0.55 * c * c * c)));
}

/** MaxNodeSize is the largest diameter of anyone but the centre. */
const MaxNodeSize = 44;

/**
 * centerSize is the centre's diameter: a third bigger than the biggest
 * other node of the view, and at least 30 units, so it never hides under
 * a hub and is found at a glance.
 */
function centerSize(others: number): number {
  return Math.max(30, Math.min(1.35 * MaxNodeSize, 1.35 * others));
}

/** colorOf is a person's fill in the band colours. */
function colorOf(p: Person, bands: Map<string, string>): string {
  if (!p.scored || !p.band) return unscored;
  if (p.band === Withheld) return withheld;
  return bands.get(p.band) ?? unscored;
}

/** NodeInfo describes one drawn node (for the page's tests: NetworkView.describe). */
export interface NodeInfo {
  id: string;
  label: string;
  /** x, y: the node's centre in pixels from the container's top left. */
  x: number;
  y: number;
  /** size: the rendered diameter without the outline, in pixels. */
  size: number;
  z: number;
  color: string;
  border: number;
  borderColor: string;
  center: boolean;
  shocked: boolean;
  /** degree: the node's friendships drawn. */
  degree: number;
}

/**
 * layout returns positions on rings by hop distance (the centre in the
 * middle, everyone at hop h on the h-th ring, rings sized by how many
 * people they hold), which is how far a shock has to travel to reach
 * them. The order around the rings and within each ring's width comes from
 * a ForceAtlas2 layout, so friends sit near each other and communities
 * show as sectors.
 */
function layout(view: View, clear: number): Map<string, { x: number; y: number }> {
  const g = new Graph({ type: "undirected", multi: false });
  // Without hops (a researcher's view withholds some, and never marks the
  // centre) everyone is on one ring: the force layout alone places them.
  const rings = view.center !== null && view.people.every((p) => p.hop !== null);
  const hopOf = new Map<string, number>();
  const perHop = new Map<number, number>();
  for (const p of view.people) {
    const hop = rings ? (p.hop ?? 1) : 1;
    const k = perHop.get(hop) ?? 0;
    perHop.set(hop, k + 1);
    hopOf.set(p.key, hop);
    const r = hop === 0 ? 0 : 60 * hop + 8 * Math.sqrt(k);
    g.addNode(p.key, { x: r * Math.cos(k * golden), y: r * Math.sin(k * golden) });
  }
  for (const t of view.ties) {
    const a = t.from;
    const b = t.to;
    if (a !== b && g.hasNode(a) && g.hasNode(b) && !g.hasEdge(a, b)) {
      g.addEdge(a, b, { weight: t.kind === "friend" ? (t.weight ?? 1) : 0.5 });
    }
  }
  const n = g.order;
  if (n > 2) {
    const settings = forceAtlas2.inferSettings(g);
    settings.barnesHutOptimize = n > 300;
    forceAtlas2.assign(g, { iterations: n > 1200 ? 60 : n > 300 ? 100 : 200, settings, getEdgeWeight: "weight" });
  }
  let cx = 0;
  let cy = 0;
  if (view.center !== null && g.hasNode(view.center)) {
    const c = g.getNodeAttributes(view.center);
    cx = c.x as number;
    cy = c.y as number;
  } else if (n > 0) {
    g.forEachNode((_, a) => {
      cx += (a.x as number) / n;
      cy += (a.y as number) / n;
    });
  }

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
  const out = new Map<string, { x: number; y: number }>();
  for (const h of hops) {
    const ids: { id: string; angle: number; dist: number }[] = [];
    g.forEachNode((key, a) => {
      if (hopOf.get(key) !== h) return;
      const dx = (a.x as number) - cx;
      const dy = (a.y as number) - cy;
      ids.push({ id: key, angle: Math.atan2(dy, dx), dist: Math.hypot(dx, dy) });
    });
    if (h === 0) {
      for (const e of ids) out.set(e.id, { x: 0, y: 0 });
      continue;
    }
    const m = ids.length;
    const byID = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const distRank = new Map([...ids].sort((a, b) => a.dist - b.dist || byID(a, b)).map((e, i) => [e.id, i]));
    ids.sort((a, b) => a.angle - b.angle || byID(a, b));
    // The first ring keeps clear of the centre, which is drawn big.
    const r0 = Math.max(inner.get(h)!, h === 1 && rings ? clear : 0);
    const r1 = Math.max(outer.get(h)!, r0 + 12);
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
  private view: View | null = null;
  private resized: ResizeObserver | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly onSelect: (p: Person) => void,
  ) {}

  get current(): View | null {
    return this.view;
  }

  /** render draws the network and resolves once a frame is on screen. */
  async render(view: View, bands: Map<string, string>): Promise<void> {
    this.destroy();
    this.view = view;
    const n = view.people.length;
    const byKey = new Map(view.people.map((p) => [p.key, p]));
    let biggest = 0;
    for (const p of view.people) if (p.key !== view.center) biggest = Math.max(biggest, nodeSize(p, n));
    const central = centerSize(biggest);
    const pos = layout(view, central);
    const elements: cytoscape.ElementDefinition[] = [];
    for (const p of view.people) {
      const isCenter = p.key === view.center;
      elements.push({
        group: "nodes",
        data: {
          id: p.key,
          label: p.key,
          size: isCenter ? central : nodeSize(p, n),
          color: colorOf(p, bands),
        },
        position: pos.get(p.key) ?? { x: 0, y: 0 },
        classes: [isCenter ? "center" : "", p.band === Withheld ? "withheld" : ""].join(" ").trim(),
      });
    }
    for (const t of view.ties) {
      if (!byKey.has(t.from) || !byKey.has(t.to)) continue;
      elements.push({
        group: "edges",
        data: { id: `${t.kind}-${t.from}-${t.to}`, source: t.from, target: t.to },
        classes: t.kind,
      });
    }
    const big = n > 600;
    const cy = cytoscape({
      container: this.container,
      elements,
      layout: { name: "preset", fit: false },
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
            "z-index": 1,
          },
        },
        {
          selector: "node.withheld",
          style: { "border-width": 1, "border-opacity": 0.9 },
        },
        {
          selector: "node.shocked",
          style: { "border-width": 4, "border-color": "#111827", "border-opacity": 1, label: "data(label)", "font-size": 11, "text-valign": "top", "z-index": 5 },
        },
        {
          selector: "node:selected",
          style: { "border-width": 3, "border-color": "#2563eb", "border-opacity": 1, label: "data(label)", "font-size": 11, "text-valign": "top", "z-index": 6 },
        },
        {
          // The person asked about: big, outlined twice (dark, then a white
          // halo that separates it from its neighbours) and above everyone.
          selector: "node.center",
          style: {
            "border-width": 4,
            "border-color": "#111827",
            "border-opacity": 1,
            "outline-width": 3,
            "outline-color": "#ffffff",
            "outline-opacity": 1,
            label: "data(label)",
            "font-size": 14,
            "font-weight": "bold",
            "text-valign": "top",
            "text-margin-y": -6,
            "text-background-color": "#ffffff",
            "text-background-opacity": 0.85,
            "text-background-padding": "2px",
            "z-index": 10,
          },
        },
        {
          selector: "node.center:selected",
          style: { "border-color": "#2563eb" },
        },
        {
          selector: "edge",
          style: { width: big ? 0.4 : 0.8, "line-color": "#9aa1ae", opacity: big ? 0.35 : 0.6, "curve-style": "haystack", "z-index": 0 },
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
    this.frame();
    // The container changes size with the page around it (the side panel
    // growing, a scroll bar): keep the centre in the middle.
    if (typeof ResizeObserver !== "undefined") {
      this.resized = new ResizeObserver(() => {
        if (this.cy !== cy) return;
        cy.resize();
        this.frame();
      });
      this.resized.observe(this.container);
    }
    cy.on("tap", "node", (ev) => {
      const p = byKey.get(ev.target.id());
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
    this.container.dataset.center = String(view.asked);
    this.container.dataset.view = view.researcher ? "researcher" : "full";
  }

  /**
   * frame fits the network in the container with the centre in the
   * middle: the zoom that fits the farthest node on either side of the
   * centre, then a pan that puts the centre at the container's middle.
   * Without a centre (a researcher's view) it fits the whole network.
   */
  private frame(): void {
    const cy = this.cy;
    const view = this.view;
    if (!cy || !view) return;
    const pad = 20;
    const c = view.center === null ? null : cy.getElementById(view.center);
    if (!c || c.empty()) {
      cy.fit(undefined, pad);
      return;
    }
    const cp = c.position();
    let rx = c.outerWidth() / 2;
    let ry = c.outerHeight() / 2;
    cy.nodes().forEach((node) => {
      const p = node.position();
      rx = Math.max(rx, Math.abs(p.x - cp.x) + node.outerWidth() / 2);
      ry = Math.max(ry, Math.abs(p.y - cp.y) + node.outerHeight() / 2);
    });
    const w = Math.max(cy.width() - 2 * pad, 10);
    const h = Math.max(cy.height() - 2 * pad, 10);
    const zoom = Math.max(cy.minZoom(), Math.min(cy.maxZoom(), w / (2 * rx), h / (2 * ry)));
    // Not cy.center(c): that centres the node's box with its label.
    cy.viewport({ zoom, pan: { x: cy.width() / 2 - cp.x * zoom, y: cy.height() / 2 - cp.y * zoom } });
  }

  /** recolor colours every node by its change (points) and marks the shocked. */
  recolor(delta: Map<string, number>, scale: number, shocked: Set<string>): number {
    const cy = this.cy;
    if (!cy) return 0;
    let moved = 0;
    cy.batch(() => {
      cy.nodes().forEach((node) => {
        const d = delta.get(node.id()) ?? 0;
        if (Math.abs(d) >= 1) moved++;
        node.data("color", deltaColor(d, scale));
        node.toggleClass("shocked", shocked.has(node.id()));
      });
    });
    this.container.dataset.moved = String(moved);
    return moved;
  }

  /** showBands puts the band colours back. */
  showBands(bands: Map<string, string>): void {
    const cy = this.cy;
    const view = this.view;
    if (!cy || !view) return;
    const byKey = new Map(view.people.map((p) => [p.key, p]));
    cy.batch(() => {
      cy.nodes().forEach((node) => {
        const p = byKey.get(node.id());
        node.data("color", p ? colorOf(p, bands) : unscored);
        node.removeClass("shocked");
      });
    });
    delete this.container.dataset.moved;
  }

  /** select highlights a node. */
  select(key: string): void {
    const cy = this.cy;
    if (!cy) return;
    cy.nodes(":selected").unselect();
    cy.getElementById(key).select();
  }

  /**
   * describe lists the drawn nodes as they are on screen, in drawing order
   * (last is on top). It is for the page's browser tests (api/webtest),
   * reached as window.socialscorePage.describe().
   */
  describe(): NodeInfo[] {
    const cy = this.cy;
    if (!cy) return [];
    const out: NodeInfo[] = [];
    cy.nodes().forEach((node) => {
      const p = node.renderedPosition();
      out.push({
        id: node.id(),
        label: String(node.data("label")),
        x: p.x,
        y: p.y,
        size: node.renderedWidth(),
        z: Number(node.style("z-index")),
        color: String(node.style("background-color")),
        border: parseFloat(String(node.style("border-width"))),
        borderColor: String(node.style("border-color")),
        center: node.hasClass("center"),
        shocked: node.hasClass("shocked"),
        degree: node.connectedEdges(".friend").length,
      });
    });
    // cytoscape draws nodes by z-index, then in the order they were added.
    return out.map((e, i) => ({ e, i })).sort((a, b) => a.e.z - b.e.z || a.i - b.i).map(({ e }) => e);
  }

  destroy(): void {
    this.resized?.disconnect();
    this.resized = null;
    this.cy?.destroy();
    this.cy = null;
    this.view = null;
    delete this.container.dataset.nodeCount;
    delete this.container.dataset.edgeCount;
    delete this.container.dataset.moved;
    delete this.container.dataset.view;
  }
}
