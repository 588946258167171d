// TokenMap → PNG (the source image with the overlay composited by sharp) or a standalone HTML page.
import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TokenMap } from '../shared/tokenMap';
import { escapeXml, overlaySvg } from './overlaySvg';

/** Upscales tiny images so the words stay legible; the overlay is drawn at the output size. */
const MIN_SIDE = 448;
/** Width (CSS px) of a figure in the HTML report; the overlay's labels are fitted for it. */
const FIGURE_WIDTH = 448;

export async function renderPng(imageFile: string, map: TokenMap, truth?: string[][]): Promise<Buffer> {
  const { data, info } = await sharp(imageFile, { pages: 1 }).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').png().toBuffer({ resolveWithObject: true });
  const scale = Math.max(1, MIN_SIDE / Math.min(info.width, info.height));
  const w = Math.round(info.width * scale);
  const h = Math.round(info.height * scale);
  const scaled = scaleMap(map, scale);
  const base = scale > 1 ? await sharp(data).resize(w, h, { kernel: 'nearest' }).png().toBuffer() : data;
  return sharp(base).composite([{ input: Buffer.from(overlaySvg(scaled, w, h, truth)), top: 0, left: 0 }]).png().toBuffer();
}

export function scaleMap(map: TokenMap, s: number): TokenMap {
  const r = map.region;
  return r ? { ...map, region: { x: r.x * s, y: r.y * s, width: r.width * s, height: r.height * s } } : map;
}

/** An <figure> with the image as a data URI and the overlay as inline SVG on top. */
export async function figureHtml(imageFile: string, map: TokenMap, caption: string, truth?: string[][]): Promise<string> {
  const png = await sharp(await readFile(imageFile), { pages: 1 }).rotate().flatten({ background: '#ffffff' }).png().toBuffer({ resolveWithObject: true });
  const { width, height } = png.info;
  const uri = `data:image/png;base64,${png.data.toString('base64')}`;
  return `<figure><div class="stack"><img src="${uri}" width="${width}" height="${height}" alt="${escapeXml(path.basename(imageFile))}">${overlaySvg(map, width, height, truth, FIGURE_WIDTH / width)}</div><figcaption>${caption}</figcaption></figure>`;
}

export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"><title>${escapeXml(title)}</title><style>
body{font-family:system-ui,sans-serif;margin:1.5rem;background:#fff;color:#111}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}
figure{display:inline-block;margin:.5rem;vertical-align:top}.stack{position:relative;width:min(${FIGURE_WIDTH}px,90vw)}.stack img,.stack svg{width:100%;height:auto;display:block}.stack svg{position:absolute;inset:0}.stack img{image-rendering:pixelated}
figcaption{font-size:.8rem;max-width:${FIGURE_WIDTH}px}</style></head><body>${body}</body></html>`;
}
