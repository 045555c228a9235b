// Colours of the page: score bands on a red-to-green scale, and score
// changes on a diverging scale (losses red, gains blue).

const bandPalette = ["#b2182b", "#e0603a", "#f4a259", "#e9d460", "#9fcf6a", "#4fa36c", "#1b7a4a"];
export const unscored = "#b8bcc4";

/**
 * bandColors orders the bands by the lowest score seen in each (bands are
 * score ranges) and spreads them over the palette.
 */
export function bandColors(people: { band?: string; score?: number }[]): Map<string, string> {
  const low = new Map<string, number>();
  for (const p of people) {
    if (!p.band || p.score === undefined) continue;
    const cur = low.get(p.band);
    if (cur === undefined || p.score < cur) low.set(p.band, p.score);
  }
  const names = [...low.keys()].sort((a, b) => low.get(a)! - low.get(b)!);
  const out = new Map<string, string>();
  names.forEach((name, i) => {
    const j = names.length === 1 ? bandPalette.length - 2 : Math.round((i * (bandPalette.length - 1)) / (names.length - 1));
    out.set(name, bandPalette[j]);
  });
  return out;
}

function mix(a: [number, number, number], b: [number, number, number], t: number): string {
  const c = a.map((x, i) => Math.round(x + (b[i] - x) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const neutral: [number, number, number] = [226, 228, 233];
const loss: [number, number, number] = [178, 24, 43];
const gain: [number, number, number] = [33, 102, 172];

/** deltaColor maps a change in points to a colour; |delta| >= scale is saturated. */
export function deltaColor(delta: number, scale: number): string {
  if (Math.abs(delta) < 0.5) return mix(neutral, neutral, 0);
  const t = Math.min(1, 0.25 + (0.75 * Math.abs(delta)) / Math.max(scale, 1));
  return delta < 0 ? mix(neutral, loss, t) : mix(neutral, gain, t);
}
