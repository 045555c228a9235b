// Colours of the page. Two palettes that share no hue, so a picture is
// never ambiguous about what it shows:
//   - score bands on a red-yellow-green scale (bandPalette);
//   - score changes during a shock on a violet (points lost) to blue
//     (points gained) scale through a light grey (no change), with no red,
//     orange, yellow or green (shockLoss, shockGain, shockNeutral).

const bandPalette = ["#b2182b", "#e0603a", "#f4a259", "#e9d460", "#9fcf6a", "#4fa36c", "#1b7a4a"];
export const unscored = "#b8bcc4";
/** withheld is the fill of a band withheld from a researcher (k-anonymity). */
export const withheld = "#ffffff";

/**
 * presetBandOrder is the order of the bands of the built-in policies
 * (scoring/policy.go, presetBands), used when the answer has no scores to
 * order the bands by (a researcher's view).
 */
const presetBandOrder = ["poor", "fair", "good", "very good", "excellent"];
const presetColors = new Map(presetBandOrder.map((b, i) => [b, bandPalette[[0, 1, 3, 4, 6][i]]]));

/**
 * bandColors gives the presets' bands fixed colours (poor red to excellent
 * dark green). Other bands are ordered by the lowest score seen in each
 * (bands are score ranges) or, without scores, by the presets' order
 * (other names after them, alphabetically), and spread over the palette.
 * The withheld band "*" gets no colour here.
 */
export function bandColors(people: { band?: string; score?: number }[]): Map<string, string> {
  const low = new Map<string, number>();
  const names = new Set<string>();
  for (const p of people) {
    if (!p.band || p.band === "*") continue;
    names.add(p.band);
    if (p.score === undefined) continue;
    const cur = low.get(p.band);
    if (cur === undefined || p.score < cur) low.set(p.band, p.score);
  }
  const rank = (b: string) => {
    const i = presetBandOrder.indexOf(b);
    return i < 0 ? presetBandOrder.length : i;
  };
  const order = [...names].sort((a, b) => {
    const la = low.get(a);
    const lb = low.get(b);
    if (la !== undefined && lb !== undefined && la !== lb) return la - lb;
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const out = new Map<string, string>();
  if (order.every((b) => presetColors.has(b))) {
    // The presets' bands keep their colours whichever of them are on
    // screen, so "good" is the same yellow in every view.
    for (const b of order) out.set(b, presetColors.get(b)!);
    return out;
  }
  order.forEach((name, i) => {
    const j = order.length === 1 ? bandPalette.length - 2 : Math.round((i * (bandPalette.length - 1)) / (order.length - 1));
    out.set(name, bandPalette[j]);
  });
  return out;
}

type RGB = [number, number, number];

function mix(a: RGB, b: RGB, t: number): string {
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function hex(c: RGB): string {
  return "#" + c.map((x) => x.toString(16).padStart(2, "0")).join("");
}

const neutralRGB: RGB = [226, 228, 233];
const lossRGB: RGB = [94, 60, 153]; // violet (ColorBrewer PuOr's dark purple)
const gainRGB: RGB = [5, 113, 176]; // blue (ColorBrewer RdBu's dark blue)

export const shockNeutral = hex(neutralRGB);
export const shockLoss = hex(lossRGB);
export const shockGain = hex(gainRGB);

/** deltaColor maps a change in points to a colour; |delta| >= scale is saturated. */
export function deltaColor(delta: number, scale: number): string {
  if (Math.abs(delta) < 0.5) return mix(neutralRGB, neutralRGB, 0);
  const t = Math.min(1, 0.25 + (0.75 * Math.abs(delta)) / Math.max(scale, 1));
  return delta < 0 ? mix(neutralRGB, lossRGB, t) : mix(neutralRGB, gainRGB, t);
}
