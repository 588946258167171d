// sea-lens demo: explains the bundled sample images with every adapter of the demo pack and writes a
// self-contained HTML report (images as data URIs, overlays as inline SVG, accuracy where truth exists).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine, IMAGE_EXTENSIONS, listImages } from '../../engine/engine';
import { accuracy, emptyKindTally, kindRates, readTruth, tallyKinds, type KindTally } from '../../engine/metrics';
import { DEFAULT_FILTERS } from '../../engine/vocabulary';
import { EXIT, type CliCommand } from '../command';
import { escapeXml } from '../overlaySvg';
import { figureHtml, htmlPage } from '../render';

interface Row { adapter: string; images: number; correct: number; labelled: number; warmMs: number[]; kinds: KindTally }

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'explain the sample images with every adapter of the demo pack; writes an HTML report',
  help: `Usage: sea-lens demo [--out DIR] [--pack DIR] [--samples DIR] [--device D]

Explains every sample image (media/samples) with EVERY adapter of the demo pack (media/demo-pack) and
writes a self-contained HTML report to DIR/index.html (default ./demo-report). Prints a summary table:
per adapter, top-1 patch-word accuracy against NAME.truth.json and the median explain time.`,
  async run(argv, ctx) {
    const { values } = parseArgs({ args: argv, options: { out: { type: 'string', default: 'demo-report' }, pack: { type: 'string' }, samples: { type: 'string' }, device: { type: 'string' } } });
    const pack = values.pack ?? path.join(ctx.installDir, 'media', 'demo-pack');
    const samples = values.samples ?? path.join(ctx.installDir, 'media', 'samples');
    if (!existsSync(path.join(pack, 'manifest.json'))) {
      ctx.stderr(`sea-lens demo: no demo pack at ${pack} (manifest.json missing). Build it first, or pass --pack DIR.\n`);
      return EXIT.failed;
    }
    const images = await listImages(samples);
    if (!images.length) {
      ctx.stderr(`sea-lens demo: no sample images in ${samples}\n`);
      return EXIT.failed;
    }
    const engine = new Engine();
    const rows: Row[] = [];
    const sections: string[] = [];
    let failures = 0;
    try {
      const info = await engine.packInfo({ pack });
      for (const adapter of info.adapters) {
        const row: Row = { adapter: adapter.name, images: 0, correct: 0, labelled: 0, warmMs: [], kinds: emptyKindTally() };
        const figs: string[] = [];
        for (const image of images) {
          try {
            // The default view's candidates (stop words hidden), which the pack's evaluator uses too: one metric.
            const map = await engine.explain({ image, pack, adapter: adapter.name, device: values.device as never, filters: { ...DEFAULT_FILTERS } });
            row.images++;
            row.warmMs.push(map.timings.total);
            const truth = map.grid ? await readTruth(image.replace(IMAGE_EXTENSIONS, '.truth.json'), map.grid) : null;
            let cap = `${escapeXml(path.basename(image))} · ${map.timings.total.toFixed(1)} ms`;
            if (truth) {
              const a = accuracy(map.patches, truth);
              row.correct += a.top1;
              row.labelled += a.n;
              tallyKinds(map.patches, truth, row.kinds);
              cap += ` · ${a.top1}/${a.n} patches correct`;
            }
            figs.push(await figureHtml(image, map, cap, truth?.words));
          } catch (e) {
            failures++;
            ctx.stderr(`${image} (${adapter.name}): ${(e as Error).message}\n`);
          }
        }
        rows.push(row);
        sections.push(`<h2>Adapter ${escapeXml(adapter.name)}</h2><p>${escapeXml(adapter.description ?? '')}</p>${figs.join('')}`);
      }
      const table = `<table><tr><th>adapter</th><th>images</th><th>patch-word accuracy</th><th>background</th><th>colour</th><th>shape</th><th>object</th><th>balanced (rank R)</th><th>median ms</th></tr>${rows
        .map((r) => { const k = kindRates(r.kinds); return `<tr><td>${escapeXml(r.adapter)}</td><td>${r.images}</td><td>${fmtAcc(r)}</td><td>${pct(k.background)}</td><td>${pct(k.colour)}</td><td>${pct(k.shape)}</td><td>${pct(k.object)}</td><td>${pct(k.balanced)} (${pct(k.balancedR)})</td><td>${median(r.warmMs).toFixed(1)}</td></tr>`; }).join('')}</table>
        <p>Top-1 per kind of word (default view: stop words hidden, the same candidates as the pack's recorded evaluation). Background: the material on background patches; colour / shape: the object's colour / shape at top-1 on object patches (one word, so colour + shape ≤ object); balanced: their mean; rank R: a true word counted when it is among the patch's R best words (R = its number of true words).</p>`;
      const body = `<h1>SEA Lens demo — ${escapeXml(info.name)}</h1><p>Each cell shows the nearest LLM word of that visual token. Green/red borders: matches/misses the truth label.</p>${table}${sections.join('')}`;
      await mkdir(values.out as string, { recursive: true });
      const file = path.resolve(values.out as string, 'index.html');
      await writeFile(file, htmlPage(`SEA Lens demo — ${info.name}`, body));
      const line = (r: Row) => {
        const k = kindRates(r.kinds);
        const cells = r.labelled ? [k.background, k.colour, k.shape, k.object].map((x) => pct(x).padStart(7)).join('') + `  ${pct(k.balanced)} (${pct(k.balancedR)})` : '  (no truth files)';
        return `${r.adapter.padEnd(14)}${String(r.images).padStart(6)}  ${fmtAcc(r).padStart(8)}${cells}  ${median(r.warmMs).toFixed(1).padStart(9)}`;
      };
      ctx.stdout(['adapter'.padEnd(14) + 'images  accuracy    bg colour  shape object  balanced (rank R)  median ms', ...rows.map(line), '',
        'per kind, top-1, default view: bg = material on background patches, colour / shape / object on object patches;', 'balanced = mean of bg, colour, shape (rank R: a true word among the R best, R = its number of true words)', '', `report: ${file}`].join('\n') + '\n');
    } finally {
      await engine.dispose();
    }
    return failures ? EXIT.failed : EXIT.ok;
  },
};

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const fmtAcc = (r: Row) => (r.labelled ? `${((100 * r.correct) / r.labelled).toFixed(1)} %` : 'n/a');
function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
