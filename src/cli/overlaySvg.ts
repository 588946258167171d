// The overlay as plain SVG (for PNG output via sharp and for the self-contained HTML report): the boxes of
// the tokens of one view (the view the webview opens with: the whole image, or all tiles of a tiled model)
// with each token's top word. Labels are fitted with the same arithmetic as the webview's overlay
// (src/shared/overlayLayout.ts), so the report reads like the view.
import { boxRect, DEFAULT_FIT, fitLabel, scoreText } from '../shared/overlayLayout';
import type { TokenMap } from '../shared/tokenMap';
import { defaultChoice, tokensOf, viewChoices } from '../shared/viewChoices';

export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/**
 * `width` × `height` are the SVG's user units (the image's pixels); `displayScale` is how many screen
 * pixels one unit becomes where the SVG is shown, so that labels are fitted in screen pixels.
 */
export function overlaySvg(map: TokenMap, width: number, height: number, truth?: string[][], displayScale = 1): string {
  // Boxes are in the image's pixels; an SVG drawn at another size scales them.
  const kx = width / map.imageSize.width;
  const ky = height / map.imageSize.height;
  const shown = new Set(tokensOf(map, defaultChoice(viewChoices(map))).spatial);
  const cells = map.patches.map((p, i) => {
    if (!shown.has(i) || !p.box) return '';
    const { x, y, width: cw, height: ch } = boxRect(p.box, { k: kx, x: 0, y: 0 }, ky);
    const top = p.words[0];
    const hit = truth?.[i]?.length ? truth[i].includes(top?.word ?? '') : undefined;
    const stroke = hit === undefined ? '#ffffff' : hit ? '#3fb950' : '#f85149';
    const fit = fitLabel(top?.word ?? '', cw * displayScale, ch * displayScale, DEFAULT_FIT);
    const font = fit.fontPx / displayScale;
    const title = p.words.map((w) => `${w.word} ${scoreText(w.score)}`).join('\n');
    const label = fit.visible
      ? `<text x="${(x + cw / 2).toFixed(2)}" y="${(y + ch / 2).toFixed(2)}" font-size="${font.toFixed(2)}" text-anchor="middle" dominant-baseline="central" fill="#fff" stroke="#000" stroke-width="${(font / 6).toFixed(2)}" paint-order="stroke" font-family="sans-serif">${escapeXml(fit.text)}</text>`
      : '';
    return `<g><title>${escapeXml(title)}</title><rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${cw.toFixed(2)}" height="${ch.toFixed(2)}" fill="rgba(0,0,0,0.25)" stroke="${stroke}" stroke-width="${((hit === undefined ? 0.5 : 1.5) / displayScale).toFixed(2)}"/>${label}</g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${cells.join('')}</svg>`;
}
