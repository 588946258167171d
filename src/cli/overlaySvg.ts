// The overlay as plain SVG (for PNG output via sharp and for the self-contained HTML report): the patch
// grid over the region the encoder saw, with each patch's top word.
import type { TokenMap } from '../shared/tokenMap';

export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function overlaySvg(map: TokenMap, width: number, height: number, truth?: string[][]): string {
  const r = map.region ?? { x: 0, y: 0, width, height };
  const cw = r.width / map.grid.cols;
  const ch = r.height / map.grid.rows;
  const cells = map.patches.map((p, i) => {
    const x = r.x + p.col * cw;
    const y = r.y + p.row * ch;
    const top = p.words[0];
    const hit = truth?.[i]?.length ? truth[i].includes(top?.word ?? '') : undefined;
    const stroke = hit === undefined ? '#ffffff' : hit ? '#3fb950' : '#f85149';
    // Shrink long words to fit the cell (≈0.68 em per character leaves room in wide faces such as DejaVu Sans).
    const font = Math.max(6, Math.min(ch / 3, (cw * 0.9) / (0.68 * Math.max(3, top?.word.length ?? 3))));
    const title = p.words.map((w) => `${w.word} ${w.score.toFixed(3)}`).join('\n');
    return `<g><title>${escapeXml(title)}</title><rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${cw.toFixed(2)}" height="${ch.toFixed(2)}" fill="rgba(0,0,0,0.25)" stroke="${stroke}" stroke-width="${hit === undefined ? 0.5 : 1.5}"/>` +
      `<text x="${(x + cw / 2).toFixed(2)}" y="${(y + ch / 2).toFixed(2)}" font-size="${font.toFixed(1)}" text-anchor="middle" dominant-baseline="middle" fill="#fff" stroke="#000" stroke-width="${(font / 8).toFixed(2)}" paint-order="stroke" font-family="sans-serif">${escapeXml(top?.word ?? '')}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${cells.join('')}</svg>`;
}
