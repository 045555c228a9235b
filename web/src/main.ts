// The researchers' page: search a person, draw their ego network, run a
// shock on someone in it and play the propagation step by step.
//
// Stable hooks for tests (data-testid): search-input, depth-select,
// limit-input, search-button, graph (data-state idle|loading|ready|error,
// data-node-count and data-edge-count once drawn, data-moved while a shock
// is shown), shock-id, shock-event, shock-policy, shock-button,
// step-slider (data-step), play-button, step-label, reach-chart
// (data-bars), api-key-input, api-key-save, error.

import { ApiError, egoNetwork, saveKey, savedKey, shock, type EgoNetwork, type EgoPerson, type ShockResult } from "./api";
import { drawReach } from "./chart";
import { bandColors, unscored } from "./colors";
import { NetworkView } from "./graph";

/** MaxLimit is the most people the page asks to draw. */
const MaxLimit = 2000;
/** ShockListLimit is how many moved people per step the page asks for. */
const ShockListLimit = 20000;
/** StepMillis is the time one step is shown while playing. */
const StepMillis = 700;

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error("missing #" + id);
  return el as T;
}

const ui = {
  keyForm: $<HTMLFormElement>("key-form"),
  key: $<HTMLInputElement>("api-key"),
  keyNote: $<HTMLSpanElement>("key-note"),
  searchForm: $<HTMLFormElement>("search-form"),
  person: $<HTMLInputElement>("person"),
  depth: $<HTMLSelectElement>("depth"),
  limit: $<HTMLInputElement>("limit"),
  netInfo: $<HTMLParagraphElement>("net-info"),
  legend: $<HTMLDivElement>("legend"),
  shockForm: $<HTMLFormElement>("shock-form"),
  shockID: $<HTMLInputElement>("shock-id"),
  shockEvent: $<HTMLSelectElement>("shock-event"),
  shockPolicy: $<HTMLSelectElement>("shock-policy"),
  player: $<HTMLDivElement>("player"),
  play: $<HTMLButtonElement>("play"),
  step: $<HTMLInputElement>("step"),
  stepLabel: $<HTMLSpanElement>("step-label"),
  shockInfo: $<HTMLParagraphElement>("shock-info"),
  reach: $<HTMLDivElement>("reach"),
  bands: $<HTMLButtonElement>("bands"),
  selected: $<HTMLElement>("selected"),
  error: $<HTMLParagraphElement>("error"),
  graph: $<HTMLDivElement>("graph"),
};

let bands = new Map<string, string>();
let current: ShockResult | null = null;
let timer: number | undefined;
let lastAction: (() => Promise<void>) | null = null;

const view = new NetworkView(ui.graph, (p) => {
  showSelected(p);
  ui.shockID.value = String(p.id);
});

function showError(e: unknown): void {
  let msg = String(e);
  if (e instanceof ApiError) {
    msg = e.message;
    if (e.status === 401) {
      ui.keyForm.classList.add("needed");
      ui.keyNote.textContent = "This server needs an API key.";
      ui.key.focus();
      msg = "An API key is needed: enter it above and press Save.";
    }
    const f = e.problem?.errors?.[0];
    if (f && f.field && e.status !== 401) msg = `${f.field}: ${f.reason}`;
  }
  ui.error.textContent = msg;
  ui.error.hidden = false;
}

function clearError(): void {
  ui.error.hidden = true;
  ui.error.textContent = "";
}

function parseID(s: string): number | null {
  const t = s.trim();
  return /^[1-9][0-9]{0,17}$/.test(t) ? Number(t) : null;
}

function dd(dl: HTMLElement, term: string, value: string): void {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const d = document.createElement("dd");
  d.textContent = value;
  dl.append(dt, d);
}

function showSelected(p: EgoPerson): void {
  view.select(p.id);
  const dl = ui.selected;
  dl.replaceChildren();
  dd(dl, "person", String(p.id));
  dd(dl, "hop", String(p.hop));
  dd(dl, "friends", String(p.friends));
  if (p.scored) {
    dd(dl, "score", `${p.score} (${p.band})`);
    dd(dl, "individual", String(p.individual));
    dd(dl, "centrality", `${(p.percentile ?? 0).toFixed(1)} percentile`);
  } else {
    dd(dl, "score", "not scored yet");
  }
  if (current) {
    const d = deltasAt(current, current.steps.length).get(p.id);
    dd(dl, "shock", d === undefined ? "did not move" : `${d > 0 ? "+" : ""}${d.toFixed(1)} points`);
  }
}

function drawLegend(): void {
  ui.legend.replaceChildren();
  const add = (color: string, name: string) => {
    const span = document.createElement("span");
    const dot = document.createElement("i");
    dot.style.backgroundColor = color;
    span.append(dot, name);
    ui.legend.append(span);
  };
  for (const [name, color] of bands) add(color, name);
  add(unscored, "not scored");
}

async function search(): Promise<void> {
  const id = parseID(ui.person.value);
  if (id === null) {
    showError("Enter a person id (a positive integer).");
    return;
  }
  const depth = Number(ui.depth.value);
  const limit = Math.min(MaxLimit, Math.max(1, Math.floor(Number(ui.limit.value) || 500)));
  ui.limit.value = String(limit);
  clearError();
  stopPlaying();
  ui.graph.dataset.state = "loading";
  let net: EgoNetwork;
  try {
    net = await egoNetwork(id, depth, limit);
  } catch (e) {
    ui.graph.dataset.state = "error";
    throw e;
  }
  ui.graph.querySelector(".placeholder")?.remove();
  bands = bandColors(net.people);
  current = null;
  ui.player.hidden = true;
  ui.reach.hidden = true;
  ui.bands.hidden = true;
  ui.shockInfo.textContent = "";
  delete ui.reach.dataset.bars;
  await view.render(net, bands);
  ui.graph.dataset.state = "ready";
  drawLegend();
  const trunc = net.truncated ? ` — truncated: ${net.kept} of ${net.reached} within ${net.depth} hops (whole nearer hops kept, then the most central)` : "";
  ui.netInfo.textContent =
    `${net.people.length} people, ${net.ties.length} ties around ${net.center}` +
    (net.run_id ? `; scores of run ${net.run_id} (${net.policy})` : "; not scored yet") +
    trunc;
  ui.shockID.value = String(net.center);
  const center = net.people.find((p) => p.id === net.center);
  if (center) showSelected(center);
  history.replaceState(null, "", `#person=${id}&depth=${depth}&limit=${limit}`);
}

/** deltasAt returns the changes shown at slider position k (steps, then the total). */
function deltasAt(res: ShockResult, k: number): Map<number, number> {
  const list = k < res.steps.length ? res.steps[k].deltas : res.total.deltas;
  return new Map(list.map((d) => [d.id, d.delta]));
}

function showStep(k: number): void {
  const res = current;
  if (!res) return;
  const last = res.steps.length; // the converged state
  k = Math.max(0, Math.min(last, k));
  ui.step.value = String(k);
  ui.step.dataset.step = String(k);
  const shocked = new Set(res.changes.map((c) => c.id));
  const total = deltasAt(res, last);
  const inView = new Set((view.network?.people ?? []).map((p) => p.id));
  let scale = 1;
  for (const [id, d] of total) if (inView.has(id) && !shocked.has(id)) scale = Math.max(scale, Math.abs(d));
  const moved = view.recolor(deltasAt(res, k), scale, shocked);
  const lost = k < last ? res.steps[k].points_lost : res.total.points_lost;
  ui.stepLabel.textContent = k < last ? `step ${k} of ${last - 1}` : `converged`;
  ui.shockInfo.textContent =
    `${moved} people on screen moved by a point or more; ${lost.toFixed(1)} points lost in the whole network` +
    (k === last ? ` (${res.total.moved} people moved, farthest ${res.total.max_hop} hops; ${res.iterations} iterations)` : "");
}

function stopPlaying(): void {
  if (timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
  ui.play.textContent = "▶ Play";
  ui.play.dataset.playing = "false";
}

function play(): void {
  if (!current) return;
  if (timer !== undefined) {
    stopPlaying();
    return;
  }
  const last = current.steps.length;
  let k = Number(ui.step.value) >= last ? 0 : Number(ui.step.value);
  showStep(k);
  ui.play.textContent = "❚❚ Pause";
  ui.play.dataset.playing = "true";
  timer = window.setInterval(() => {
    k++;
    showStep(k);
    if (k >= last) stopPlaying();
  }, StepMillis);
}

async function runShock(): Promise<void> {
  const id = parseID(ui.shockID.value);
  if (id === null) {
    showError("Enter the id of the person to shock.");
    return;
  }
  clearError();
  stopPlaying();
  const res = await shock(id, ui.shockEvent.value, ui.shockPolicy.value, ShockListLimit);
  current = res;
  const c = res.changes[0];
  ui.step.min = "0";
  ui.step.max = String(res.steps.length);
  ui.player.hidden = false;
  ui.bands.hidden = false;
  ui.reach.hidden = false;
  drawReach(ui.reach, res.total.reach);
  showStep(0);
  if (c) {
    ui.shockInfo.textContent = `Person ${c.id}: ${c.score_before} → ${c.score_after} under ${res.policy} (α = ${res.alpha}). Press play.`;
  }
}

/** act runs an action, reports its error, and remembers it to retry after a key is saved. */
function act(fn: () => Promise<void>, button?: HTMLButtonElement): void {
  lastAction = fn;
  if (button) button.disabled = true;
  fn()
    .catch(showError)
    .finally(() => {
      if (button) button.disabled = false;
    });
}

ui.key.value = savedKey();
ui.keyForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  saveKey(ui.key.value.trim());
  ui.keyForm.classList.remove("needed");
  ui.keyNote.textContent = ui.key.value ? "saved in this browser" : "";
  clearError();
  if (lastAction) act(lastAction);
});
ui.searchForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  act(search, ui.searchForm.querySelector("button") ?? undefined);
});
ui.shockForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  act(runShock, ui.shockForm.querySelector("button") ?? undefined);
});
ui.step.addEventListener("input", () => {
  stopPlaying();
  showStep(Number(ui.step.value));
});
ui.play.addEventListener("click", play);
ui.bands.addEventListener("click", () => {
  stopPlaying();
  current = null;
  view.showBands(bands);
  ui.player.hidden = true;
  ui.bands.hidden = true;
  ui.shockInfo.textContent = "";
});

// #person=ID&depth=D&limit=N draws that network on load.
const params = new URLSearchParams(location.hash.slice(1));
if (params.get("person")) {
  ui.person.value = params.get("person") ?? "";
  if (params.get("depth")) ui.depth.value = params.get("depth") ?? "2";
  if (params.get("limit")) ui.limit.value = params.get("limit") ?? "500";
  act(search);
}
