// The researchers' page: search a person, draw their ego network, run a
// shock on someone in it and play the propagation step by step.
//
// Stable hooks for tests (data-testid): search-input, depth-select,
// limit-input, search-button, graph (data-state idle|loading|ready|error,
// data-node-count and data-edge-count once drawn, data-view full|researcher,
// data-moved while a shock is shown), legend (the bands), shock-legend
// (the changes), shock-id, shock-event, shock-policy, shock-button,
// step-slider (data-step), play-button, step-label, reach-chart
// (data-bars), selected, reasons (data-state), perks, api-key-input,
// api-key-save, error; and window.socialscorePage.describe(), which lists
// the drawn nodes with their position, size, colour and z-order.

import { ApiError, egoNetwork, isResearchGraph, personScore, saveKey, savedKey, shock, type ScoreDetail, type ShockResult } from "./api";
import { drawReach } from "./chart";
import { bandColors, deltaColor, shockGain, shockLoss, shockNeutral, unscored, withheld } from "./colors";
import { NetworkView } from "./graph";
import { Withheld, fromEgo, fromResearch, type Person, type View } from "./model";

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
  shockLegend: $<HTMLDivElement>("shock-legend"),
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
  reasons: $<HTMLDivElement>("reasons"),
  perks: $<HTMLDivElement>("perks"),
  error: $<HTMLParagraphElement>("error"),
  graph: $<HTMLDivElement>("graph"),
};

let bands = new Map<string, string>();
let current: ShockResult | null = null;
let timer: number | undefined;
let lastAction: (() => Promise<void>) | null = null;
/** selection counts selections, so a late score answer for an earlier one is dropped. */
let selection = 0;

const view = new NetworkView(ui.graph, (p) => {
  showSelected(p);
  if (p.id !== null) ui.shockID.value = String(p.id);
});

// The test hook (see the header).
(window as unknown as { socialscorePage: unknown }).socialscorePage = { describe: () => view.describe() };

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

function note(el: HTMLElement, text: string, state: string): void {
  const p = document.createElement("p");
  p.className = "info";
  p.textContent = text;
  el.replaceChildren(p);
  el.dataset.state = state;
}

function showSelected(p: Person): void {
  view.select(p.key);
  const v = view.current;
  const dl = ui.selected;
  dl.replaceChildren();
  dd(dl, "person", p.id !== null ? String(p.id) : `${p.key} (pseudonym)`);
  dd(dl, "hop", p.hop !== null ? String(p.hop) : "withheld");
  dd(dl, "friends", v?.researcher ? `${p.friends} in this view` : String(p.friends));
  if (p.scored && p.band === Withheld) {
    dd(dl, "band", "withheld (too few people share it)");
  } else if (p.scored && p.score !== undefined) {
    dd(dl, "score", `${p.score} (${p.band})`);
    dd(dl, "individual", String(p.individual));
  } else if (p.scored) {
    dd(dl, "band", p.band ?? "");
  } else {
    dd(dl, "score", "not scored yet");
  }
  dd(dl, "centrality", p.sizeNote);
  if (current && !isGeneralised(current) && p.id !== null) {
    const d = deltasAt(current, current.steps.length).get(p.key);
    dd(dl, "shock", d === undefined ? "did not move" : `${d > 0 ? "+" : ""}${d.toFixed(1)} points`);
  }
  showReasons(p);
}

/** showReasons reads the selected person's score for its reasons and perks. */
function showReasons(p: Person): void {
  const mine = ++selection;
  if (view.current?.researcher || p.id === null) {
    const text = "Reasons and perks are not shown in a researcher's view: they are personal data.";
    note(ui.reasons, text, "withheld");
    ui.perks.replaceChildren();
    return;
  }
  if (!p.scored) {
    note(ui.reasons, "Not scored yet: no reasons or perks.", "unscored");
    ui.perks.replaceChildren();
    return;
  }
  note(ui.reasons, "Loading reasons…", "loading");
  ui.perks.replaceChildren();
  personScore(p.id)
    .then((sc) => {
      if (mine === selection) drawReasons(sc);
    })
    .catch((e: unknown) => {
      if (mine !== selection) return;
      const why = e instanceof ApiError && (e.status === 403 || e.status === 404) ? "this key may not read scores" : String(e instanceof Error ? e.message : e);
      note(ui.reasons, `Reasons and perks cannot be shown: ${why}.`, "error");
    });
}

function drawReasons(sc: ScoreDetail): void {
  const h = document.createElement("h3");
  h.textContent = "Reasons";
  ui.reasons.replaceChildren(h);
  if (sc.reasons.length === 0) {
    const p = document.createElement("p");
    p.className = "info";
    p.textContent = "No adverse factor.";
    ui.reasons.append(p);
  } else {
    const ol = document.createElement("ol");
    for (const r of sc.reasons) {
      const li = document.createElement("li");
      li.dataset.code = r.code;
      const pts = document.createElement("span");
      pts.className = r.points < 0 ? "points loss" : "points";
      pts.textContent = `${r.points > 0 ? "+" : ""}${r.points}`;
      li.append(pts, " ", r.text);
      ol.append(li);
    }
    ui.reasons.append(ol);
  }
  ui.reasons.dataset.state = "ready";
  const hp = document.createElement("h3");
  hp.textContent = "Perks";
  ui.perks.replaceChildren(hp);
  if (sc.perks.length === 0) {
    const p = document.createElement("p");
    p.className = "info";
    p.textContent = `None at ${sc.score} (${sc.band}).`;
    ui.perks.append(p);
  } else {
    const ul = document.createElement("ul");
    for (const name of sc.perks) {
      const li = document.createElement("li");
      li.dataset.perk = name;
      li.textContent = name.replace(/_/g, " ");
      ul.append(li);
    }
    ui.perks.append(ul);
  }
}

function legendEntry(el: HTMLElement, color: string, name: string, cls = ""): void {
  const span = document.createElement("span");
  const dot = document.createElement("i");
  dot.style.backgroundColor = color;
  if (cls) dot.className = cls;
  span.append(dot, name);
  el.append(span);
}

function drawLegend(v: View): void {
  ui.legend.replaceChildren();
  const title = document.createElement("b");
  title.textContent = "score band";
  ui.legend.append(title);
  for (const [name, color] of bands) legendEntry(ui.legend, color, name);
  if (v.people.some((p) => p.scored && p.band === Withheld)) legendEntry(ui.legend, withheld, "withheld", "ring");
  if (v.people.some((p) => !p.scored)) legendEntry(ui.legend, unscored, "not scored");
  if (v.center !== null) legendEntry(ui.legend, "transparent", `person ${v.asked} (big, outlined)`, "ring center");
  ui.legend.hidden = false;
  ui.shockLegend.hidden = true;
}

/** drawShockLegend shows the change palette, saturated at scale points. */
function drawShockLegend(scale: number): void {
  const el = ui.shockLegend;
  el.replaceChildren();
  const title = document.createElement("b");
  title.textContent = "score change";
  el.append(title);
  const s = Math.round(scale);
  legendEntry(el, deltaColor(-scale, scale), `lost ${s > 1 ? `${s}+` : "1"} points`);
  legendEntry(el, deltaColor(-1, scale), "lost 1 point");
  legendEntry(el, shockNeutral, "no change");
  legendEntry(el, deltaColor(scale, scale), "gained points");
  legendEntry(el, "transparent", "shocked person (outlined)", "ring shocked");
  el.dataset.loss = shockLoss;
  el.dataset.gain = shockGain;
  el.hidden = false;
  ui.legend.hidden = true;
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
  let v: View;
  try {
    const net = await egoNetwork(id, depth, limit);
    v = isResearchGraph(net) ? fromResearch(net, id, depth) : fromEgo(net);
  } catch (e) {
    ui.graph.dataset.state = "error";
    throw e;
  }
  ui.graph.querySelector(".placeholder")?.remove();
  bands = bandColors(v.people);
  current = null;
  ui.player.hidden = true;
  ui.reach.hidden = true;
  ui.bands.hidden = true;
  ui.shockInfo.textContent = "";
  delete ui.reach.dataset.bars;
  await view.render(v, bands);
  ui.graph.dataset.state = "ready";
  drawLegend(v);
  ui.netInfo.textContent = v.info;
  ui.shockID.value = String(id);
  const center = v.people.find((p) => p.key === v.center);
  if (center) {
    showSelected(center);
  } else {
    ui.selected.replaceChildren();
    note(ui.reasons, "Select someone in the network.", "idle");
    ui.perks.replaceChildren();
  }
  history.replaceState(null, "", `#person=${id}&depth=${depth}&limit=${limit}`);
}

/** deltasAt returns the changes shown at slider position k (steps, then the total). */
function deltasAt(res: ShockResult, k: number): Map<string, number> {
  const list = k < res.steps.length ? res.steps[k].deltas : res.total.deltas;
  return new Map(list.map((d) => [String(d.id), d.delta]));
}

/**
 * isGeneralised: a researcher's shock result, whose pseudonyms are of that
 * answer only (they cannot be matched to the drawing) and whose scores are
 * withheld.
 */
function isGeneralised(res: ShockResult): boolean {
  return res.generalised === true || res.pseudonymised === true || res.changes.some((c) => typeof c.id === "string");
}

function showStep(k: number): void {
  const res = current;
  if (!res) return;
  const last = res.steps.length; // the converged state
  k = Math.max(0, Math.min(last, k));
  ui.step.value = String(k);
  ui.step.dataset.step = String(k);
  const shocked = new Set(res.changes.map((c) => String(c.id)));
  const total = deltasAt(res, last);
  const inView = new Set((view.current?.people ?? []).map((p) => p.key));
  let scale = 1;
  for (const [id, d] of total) if (inView.has(id) && !shocked.has(id)) scale = Math.max(scale, Math.abs(d));
  const moved = view.recolor(deltasAt(res, k), scale, shocked);
  drawShockLegend(scale);
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
  const c = res.changes[0];
  if (isGeneralised(res) || view.current?.researcher) {
    // A researcher's answer: the reach and totals, not who moved.
    current = null;
    ui.player.hidden = true;
    ui.bands.hidden = true;
    ui.reach.hidden = false;
    drawReach(ui.reach, res.total.reach);
    ui.shockInfo.textContent =
      `Under ${res.policy} (α = ${res.alpha}): ${res.total.moved} people moved by a point or more, up to ${res.total.max_hop} hops away; ` +
      `${res.total.points_lost.toFixed(1)} points lost in the whole network. In a researcher's view who moved is not matched to the drawing.`;
    return;
  }
  current = res;
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
  const v = view.current;
  if (v) drawLegend(v);
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
