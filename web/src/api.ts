// The API the page uses: the JSON shapes of api/openapi.json it reads, and
// a fetch wrapper that sends the API key and turns problem+json errors
// into exceptions.

export interface Pillars {
  purchase: number;
  info: number;
  bills: number;
  credit: number;
  recruitment: number;
}

export interface EgoPerson {
  id: number;
  hop: number;
  friends: number;
  scored: boolean;
  score?: number;
  individual?: number;
  band?: string;
  pagerank?: number;
  percentile?: number;
  pillars?: Pillars;
}

export interface EgoTie {
  kind: "friend" | "recruited";
  from: number;
  to: number;
  weight?: number;
}

export interface HopCount {
  hop: number;
  reached: number;
  kept: number;
}

export interface EgoNetwork {
  center: number;
  depth: number;
  limit: number;
  reached: number;
  kept: number;
  truncated: boolean;
  hops: HopCount[];
  people: EgoPerson[];
  ties: EgoTie[];
  run_id: string;
  policy: string;
  snapshot_at: string;
}

/**
 * ResearchGraph is what GET /v1/people/{id}/network answers a researcher:
 * an export graph (export.Graph in JSON) with pseudonyms as ids and
 * generalised attributes only: whether scored, the band ("*" withheld)
 * and the hop from the centre as hop_class ("*" withheld). It does not
 * say which node is the person asked about.
 */
export interface ResearchGraph {
  meta: {
    kind: string;
    pseudonymised: boolean;
    depth?: number;
    truncated?: boolean;
    generalised?: { k: number };
  };
  nodes: { id: string; scored: boolean; band?: string; hop_class?: string }[];
  links: { source: string; target: string; kind: "friend" | "recruited"; weight: number }[];
}

/** isResearchGraph tells a researcher's generalised view from a full one. */
export function isResearchGraph(v: EgoNetwork | ResearchGraph): v is ResearchGraph {
  return Array.isArray((v as ResearchGraph).nodes);
}

export interface Reason {
  code: string;
  text: string;
  points: number;
  points_missing: number;
}

/** ScoreDetail is the part of GET /v1/people/{id}/score the page shows. */
export interface ScoreDetail {
  id: number;
  score: number;
  band: string;
  reasons: Reason[];
  perks: string[];
}

export interface ShockDelta {
  id: number | string;
  hop: number;
  before: number;
  after: number;
  delta: number;
}

export interface ShockStep {
  step: number;
  moved: number;
  moved_by_hop: number[];
  points_lost: number;
  points_gained: number;
  deltas: ShockDelta[];
  truncated?: boolean;
}

export interface HopReach {
  hop: number;
  people: number;
  moved: number;
  points_lost: number;
  points_gained: number;
}

export interface ShockResult {
  policy: string;
  alpha: number;
  people: number;
  min_move: number;
  /** generalised: a researcher's answer, pseudonymised, before/after withheld (0). */
  generalised?: boolean;
  pseudonymised?: boolean;
  changes: {
    id: number | string;
    individual_before: number;
    individual_after: number;
    score_before: number;
    score_after: number;
  }[];
  steps: ShockStep[];
  total: {
    moved: number;
    points_lost: number;
    points_gained: number;
    net_points: number;
    max_hop: number;
    reach: HopReach[];
    deltas: ShockDelta[];
    truncated?: boolean;
  };
  iterations: number;
  converged: boolean;
  elapsed_ms: number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; reason: string }[];
}

/** ApiError is a problem+json answer (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    message: string,
  ) {
    super(message);
  }
}

const keyStorage = "socialscore.apiKey";

export function savedKey(): string {
  try {
    return localStorage.getItem(keyStorage) ?? "";
  } catch {
    return "";
  }
}

export function saveKey(key: string): void {
  try {
    if (key) localStorage.setItem(keyStorage, key);
    else localStorage.removeItem(keyStorage);
  } catch {
    // storage disabled: the key lives for this page only
  }
  sessionKey = key;
}

let sessionKey = savedKey();

/** call sends a request to the API with the key, if any, and decodes JSON. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (sessionKey) headers["Authorization"] = "Bearer " + sessionKey;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, null, "the server cannot be reached: " + String(e));
  }
  const text = await res.text();
  if (!res.ok) {
    let problem: Problem | null = null;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      // not a problem document
    }
    const msg = problem?.detail ?? problem?.title ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, problem, msg);
  }
  return JSON.parse(text) as T;
}

export function egoNetwork(id: number, depth: number, limit: number): Promise<EgoNetwork | ResearchGraph> {
  return call<EgoNetwork | ResearchGraph>("GET", `/v1/people/${id}/network?depth=${depth}&limit=${limit}`);
}

/** personScore reads one person's score with its reasons and perks (an audited read). */
export function personScore(id: number): Promise<ScoreDetail> {
  return call<ScoreDetail>("GET", `/v1/people/${id}/score`);
}

export function shock(id: number, event: string, policy: string, listLimit: number): Promise<ShockResult> {
  const body: Record<string, unknown> = {
    changes: [{ id, events: [event] }],
    max_steps: 12,
    list_limit: listLimit,
  };
  if (policy) body.policy = policy;
  return call<ShockResult>("POST", "/v1/experiments/shock", body);
}
