// The network as the page draws it, from either answer of
// GET /v1/people/{id}/network: the full ego network (operators, auditors)
// or a researcher's generalised view (pseudonyms, bands, hop classes, no
// scores, no centrality, no marked centre: see api/researchview.go).

import type { EgoNetwork, EgoPerson, ResearchGraph } from "./api";

/** Withheld is the value of a generalised attribute that was suppressed. */
export const Withheld = "*";

/** Buckets is how many centrality classes a researcher's view is sized by. */
export const Buckets = 4;

export interface Person {
  /** key is the node's id in the drawing: the decimal id, or the pseudonym. */
  key: string;
  /** id is the real id; null in a researcher's view. */
  id: number | null;
  /** hop from the centre; null when withheld. */
  hop: number | null;
  scored: boolean;
  /** band: a band name, Withheld, or undefined when not scored. */
  band?: string;
  score?: number;
  individual?: number;
  percentile?: number;
  /** friends: the person's friends (full view) or friends in this view (researcher). */
  friends: number;
  /** centrality in 0..1, which sizes the node. */
  centrality: number;
  /** sizeNote says what the size shows, for the selected panel. */
  sizeNote: string;
  ego?: EgoPerson;
}

export interface Tie {
  kind: "friend" | "recruited";
  from: string;
  to: string;
  weight: number;
}

export interface View {
  /** researcher: pseudonymised and generalised. */
  researcher: boolean;
  /** center is the key of the person asked about; null when not given. */
  center: string | null;
  /** asked is the real id that was asked about. */
  asked: number;
  depth: number;
  people: Person[];
  ties: Tie[];
  truncated: boolean;
  info: string;
  net?: EgoNetwork;
}

export function fromEgo(net: EgoNetwork): View {
  const people: Person[] = net.people.map((p) => ({
    key: String(p.id),
    id: p.id,
    hop: p.hop,
    scored: p.scored,
    band: p.scored ? p.band : undefined,
    score: p.score,
    individual: p.individual,
    percentile: p.percentile,
    friends: p.friends,
    centrality: (p.percentile ?? 0) / 100,
    sizeNote: `${(p.percentile ?? 0).toFixed(1)} percentile (PageRank)`,
    ego: p,
  }));
  const trunc = net.truncated ? ` — truncated: ${net.kept} of ${net.reached} within ${net.depth} hops (whole nearer hops kept, then the most central)` : "";
  return {
    researcher: false,
    center: String(net.center),
    asked: net.center,
    depth: net.depth,
    people,
    ties: net.ties.map((t) => ({ kind: t.kind, from: String(t.from), to: String(t.to), weight: t.weight ?? 1 })),
    truncated: net.truncated,
    info:
      `${net.people.length} people, ${net.ties.length} ties around ${net.center}` +
      (net.run_id ? `; scores of run ${net.run_id} (${net.policy})` : "; not scored yet") +
      trunc,
    net,
  };
}

/**
 * degreeBuckets puts each person in one of Buckets classes by their
 * number of friends in the view (degree centrality, the one centrality a
 * researcher's view allows: it is the drawing's own structure): class b
 * holds the degrees from the b-th to the (b+1)-th quartile of the sorted
 * degrees, so a person with more friends is never in a lower class.
 */
export function degreeBuckets(degree: Map<string, number>): Map<string, number> {
  const sorted = [...degree.values()].sort((a, b) => a - b);
  const n = sorted.length;
  const cuts: number[] = [];
  for (let b = 1; b < Buckets; b++) cuts.push(sorted[Math.min(n - 1, Math.floor((b * n) / Buckets))] ?? 0);
  const out = new Map<string, number>();
  for (const [key, d] of degree) {
    let b = 0;
    for (const c of cuts) if (d >= c && d > sorted[0]) b++;
    out.set(key, Math.min(b, Buckets - 1));
  }
  return out;
}

export function fromResearch(g: ResearchGraph, asked: number, depth: number): View {
  const degree = new Map<string, number>(g.nodes.map((n) => [n.id, 0]));
  for (const l of g.links) {
    if (l.kind !== "friend") continue;
    if (degree.has(l.source)) degree.set(l.source, degree.get(l.source)! + 1);
    if (degree.has(l.target)) degree.set(l.target, degree.get(l.target)! + 1);
  }
  const bucket = degreeBuckets(degree);
  const people: Person[] = g.nodes.map((n) => {
    const b = bucket.get(n.id) ?? 0;
    const hop = n.hop_class === undefined || n.hop_class === Withheld ? null : Number(n.hop_class);
    return {
      key: n.id,
      id: null,
      hop: Number.isFinite(hop) ? hop : null,
      scored: n.scored,
      band: n.scored ? (n.band ?? Withheld) : undefined,
      friends: degree.get(n.id) ?? 0,
      centrality: (b + 0.5) / Buckets,
      sizeNote: `${["lowest", "second", "third", "top"][b] ?? b} quarter by friends in this view`,
    };
  });
  const k = g.meta.generalised?.k;
  return {
    researcher: true,
    center: null,
    asked,
    depth: g.meta.depth ?? depth,
    people,
    ties: g.links.map((l) => ({ kind: l.kind, from: l.source, to: l.target, weight: l.weight })),
    truncated: g.meta.truncated ?? false,
    info:
      `${people.length} people, ${g.links.length} ties within ${g.meta.depth ?? depth} hops of ${asked}` +
      ` — researcher's view: pseudonyms, score bands${k ? ` (each combination shared by at least ${k} people)` : ""}, size by friends in view;` +
      ` the person asked about is not marked` +
      (g.meta.truncated ? " — truncated" : ""),
  };
}
