// Draws the extension icon, media/icon.png (128×128; the Marketplace and the Extensions view show it),
// from the SVG below with sharp: a patch grid (an image's visual tokens) under a lens with an eye — the
// extension looks at what each patch's token means. Rerun after editing: `node scripts/make-icon.mjs`.

import { fileURLToPath } from 'node:url';
import path from 'node:path';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'media', 'icon.png');

// 4×4 patches in the demo world's colours (wood, grass, water, sand, a pink and a red object).
const colours = [
  ['#8d6e63', '#a1887f', '#66bb6a', '#43a047'],
  ['#a1887f', '#ec407a', '#f06292', '#66bb6a'],
  ['#42a5f5', '#f06292', '#e53935', '#ffd54f'],
  ['#1e88e5', '#42a5f5', '#ffd54f', '#ffca28'],
];
const cell = 26;
const gap = 2;
const origin = 10;
const patches = colours.flatMap((row, r) => row.map((c, k) =>
  `<rect x="${origin + k * (cell + gap)}" y="${origin + r * (cell + gap)}" width="${cell}" height="${cell}" rx="3" fill="${c}"/>`)).join('');

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <rect width="128" height="128" rx="22" fill="#1b2330"/>
  <g opacity="0.9">${patches}</g>
  <!-- the lens: a dark glass with an eye, a white rim and a handle to the lower right -->
  <line x1="86" y1="86" x2="116" y2="116" stroke="#eceff1" stroke-width="12" stroke-linecap="round"/>
  <circle cx="62" cy="62" r="34" fill="#0d1117" fill-opacity="0.82" stroke="#eceff1" stroke-width="7"/>
  <path d="M36 62 Q62 38 88 62 Q62 86 36 62 Z" fill="#eceff1"/>
  <circle cx="62" cy="62" r="11" fill="#26c6da"/>
  <circle cx="62" cy="62" r="5" fill="#0d1117"/>
  <circle cx="66" cy="58" r="2.4" fill="#ffffff"/>
</svg>`;

await sharp(Buffer.from(svg)).resize(128, 128).png({ compressionLevel: 9 }).toFile(out);
const meta = await sharp(out).metadata();
console.log(`wrote ${path.relative(root, out)} (${meta.width}×${meta.height})`);
