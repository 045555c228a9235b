// Builds the page into ../api/webdist (committed: go build needs no npm):
// one minified ES module and one stylesheet with content-hashed names
// under assets/, and index.html pointing at them. Everything is bundled:
// the page loads nothing from elsewhere.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "api", "webdist");
const assets = join(out, "assets");

await rm(out, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const result = await build({
  entryPoints: { app: join(here, "src", "main.ts"), style: join(here, "src", "style.css") },
  outdir: assets,
  entryNames: "[name]-[hash]",
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});

let js = "";
let css = "";
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint?.endsWith("main.ts")) js = basename(file);
  if (file.endsWith(".css")) css = basename(file);
}
if (!js || !css) throw new Error("build: missing output: js=" + js + " css=" + css);

const html = (await readFile(join(here, "src", "index.html"), "utf8")).replace("{{JS}}", js).replace("{{CSS}}", css);
await writeFile(join(out, "index.html"), html);

let raw = 0;
let gz = 0;
for (const f of [js, css]) {
  const body = await readFile(join(assets, f));
  raw += body.length;
  gz += gzipSync(body, { level: 9 }).length;
}
console.log(`built ${js} and ${css}: ${(raw / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzipped`);
