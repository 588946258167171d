// sea-lens explain: the nearest LLM words of every visual token of one or more images.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine, IMAGE_EXTENSIONS, listImages } from '../../engine/engine';
import { parseDeviceChoice } from '../../engine/devices';
import { parseFilterList } from '../../engine/vocabulary';
import type { TokenMap } from '../../shared/tokenMap';
import { LIMITS } from '../../shared/mediaLimits';
import { describeNonRegular } from '../../engine/readImageFile';
import { encodeSafetensors } from '../../engine/safetensors';
import { EXIT, UsageError, type CliCommand } from '../command';
import { figureHtml, htmlPage, renderPng } from '../render';

export const explainCommand: CliCommand = {
  name: 'explain',
  summary: 'nearest LLM words of every visual token of images (JSON, PNG or HTML)',
  help: `Usage: sea-lens explain <image|folder>… [options]

Runs vision encoder → adapter → cosine nearest neighbours in the LLM's input-embedding table.

Options:
  --pack DIR        model pack folder (default: the demo pack of this installation)
  --adapter NAME    adapter of the pack (default: the pack's default adapter)
  --top-k K         words per patch, 1–${LIMITS.topK.max} (default ${LIMITS.topK.default})
  --device D        auto | cpu | webgpu | cuda (default auto: GPU if usable, else CPU)
  --filters LIST    which vocabulary tokens are left out of the candidates: names = exactly these
                    (special, bytes, punctuation, subwords, stopwords, alphabetic); +name/-name =
                    the pack's defaults with one turned on/off (e.g. -stopwords); none = keep all
  --format F        json | png | html (default json)
  --out DIR         write one file per image (NAME.tokenmap.json / NAME.overlay.png / NAME.html);
                    without --out, JSON goes to stdout (an object for one image, an array for several)
  --save-tokens DIR also write NAME.tokens.safetensors: the visual tokens after the adapter
                    ("visual_tokens" [tokens, H], in the LLM's order) and each view's model input
                    ("pixel_values.<view>" [3, h, w]) — to check them against the model's own code
  -h, --help        this text

Exit codes: 0 all images explained, 1 some failed (each failure is reported on stderr), 2 usage error.`,
  async run(argv, ctx) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        pack: { type: 'string' }, adapter: { type: 'string' }, 'top-k': { type: 'string' }, device: { type: 'string' },
        format: { type: 'string', default: 'json' }, out: { type: 'string' }, 'save-tokens': { type: 'string' },
        filters: { type: 'string' },
      },
    });
    if (!positionals.length) throw new UsageError('give at least one image or folder');
    const format = values.format as string;
    if (!['json', 'png', 'html'].includes(format)) throw new UsageError(`--format must be json, png or html, got "${format}"`);
    if (format !== 'json' && !values.out) throw new UsageError(`--format ${format} needs --out DIR`);
    const topK = values['top-k'] === undefined ? undefined : Number(values['top-k']);
    const { min: kMin, max: kMax } = LIMITS.topK;
    if (topK !== undefined && (!Number.isInteger(topK) || topK < kMin || topK > kMax)) throw new UsageError(`--top-k must be an integer from ${kMin} to ${kMax}, got "${values['top-k']}"`);
    let device;
    try {
      device = parseDeviceChoice(values.device);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    let filters;
    try {
      filters = values.filters === undefined ? undefined : parseFilterList(values.filters);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const pack = values.pack ?? path.join(ctx.installDir, 'media', 'demo-pack');
    // Inputs are sorted out before the pack loads: a folder is listed (one without images is a failure), a
    // FIFO or device is refused here (reading one would block), a missing file is left to the engine.
    const images: string[] = [];
    let failures = 0;
    for (const p of positionals) {
      const st = await stat(p).catch(() => undefined);
      try {
        if (st?.isDirectory()) images.push(...(await listImages(p)));
        else if (st && !st.isFile()) throw new Error(`${describeNonRegular(st)}, not an image file; give the path of an image file or a folder of images`);
        else images.push(p);
      } catch (e) {
        failures++;
        ctx.stderr(`${p}: ${(e as Error).message}\n`);
      }
    }
    if (!images.length) return EXIT.failed;
    const engine = new Engine({ device: (n) => n.reason && ctx.stderr(`sea-lens: using ${n.used} (${n.reason})\n`) });
    const maps: TokenMap[] = [];
    try {
      if (values.out) await mkdir(values.out, { recursive: true });
      if (values['save-tokens']) await mkdir(values['save-tokens'], { recursive: true });
      for (const image of images) {
        try {
          const params = { image, pack, adapter: values.adapter, topK, device, filters };
          let map: TokenMap;
          if (values['save-tokens']) {
            const r = await engine.explainWithTokens(params);
            map = r.map;
            const tensors: Record<string, { shape: number[]; data: Float32Array }> = { visual_tokens: { shape: [r.tokens.length / r.width, r.width], data: r.tokens } };
            for (const v of r.views) tensors[`pixel_values.${v.id}`] = { shape: [3, v.height, v.width], data: v.pixels };
            const stem = path.join(values['save-tokens'], path.basename(image).replace(IMAGE_EXTENSIONS, ''));
            await writeFile(`${stem}.tokens.safetensors`, encodeSafetensors(tensors));
          } else {
            map = await engine.explain(params);
          }
          maps.push(map);
          if (values.out) {
            const stem = path.join(values.out, path.basename(image).replace(IMAGE_EXTENSIONS, ''));
            if (format === 'json') await writeFile(`${stem}.tokenmap.json`, JSON.stringify(map, null, 1));
            if (format === 'png') await writeFile(`${stem}.overlay.png`, new Uint8Array(await renderPng(image, map)));
            if (format === 'html') await writeFile(`${stem}.html`, htmlPage(path.basename(image), await figureHtml(image, map, `${map.pack} / ${map.adapter}`)));
          }
        } catch (e) {
          failures++;
          ctx.stderr(`${withPath(image, (e as Error).message)}\n`);
        }
      }
    } finally {
      await engine.dispose();
    }
    // stdout carries TokenMaps only: a run where nothing was explained prints nothing there (not `null`).
    if (!values.out && maps.length) ctx.stdout(JSON.stringify(images.length === 1 && positionals.length === 1 ? maps[0] : maps, null, 1) + '\n');
    else if (values.out) ctx.stderr(`sea-lens: ${maps.length} of ${images.length} images written to ${values.out}\n`);
    return failures ? EXIT.failed : EXIT.ok;
  },
};

/** `path: message`, said once: engine messages start with the file's base name (or the path itself). */
function withPath(image: string, message: string): string {
  const base = `${path.basename(image)}: `;
  if (message.startsWith(`${image}: `)) return message;
  return `${image}: ${message.startsWith(base) ? message.slice(base.length) : message}`;
}
