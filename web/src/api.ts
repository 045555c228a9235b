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

export interface ShockDelta {
  id: number;
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
  changes: {
    id: number;
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

export function egoNetwork(id: number, depth: number, limit: number): Promise<EgoNetwork> {
  return call<EgoNetwork>("GET", `/v1/people/${id}/network?depth=${depth}&limit=${limit}`);
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
