// The token-map overlay: an image with its patch grid drawn on top (d3 → SVG), each patch's top word
// auto-fitted, a hover/focus tooltip with the top-k words, click-a-word highlighting, a heat layer and a
// PNG export. Standalone: the explain and compare views and the notebook renderer all use it.
// Words come from a tokenizer and are untrusted: they only ever reach the DOM as text nodes.

import { select, interpolateViridis } from 'd3';
import type { TokenMap, PatchScalarMap } from '../../src/shared/tokenMap';
import {
  DEFAULT_FIT, fitLabel, gridRegion, haloFor, heatValues, nextPatchIndex, patchLabel, patchRects,
  type FitOptions, type HeatValues, type NavKey, type Rect,
} from '../../src/shared/overlayLayout';
import { adoptOverlayStyles } from './overlayStyles';
import { drawOverlayPng } from './overlayExport';

export interface OverlayOptions {
  /** Words shown in the tooltip (default 5). */
  topK?: number;
  /** Initial heat layer. */
  heatmap?: PatchScalarMap | 'score' | null;
  /** Accessible name of the patch grid. */
  ariaLabel?: string;
  /** Label fitting limits (px); defaults: 7–28. */
  fit?: Partial<FitOptions>;
  /** Small images are shown at least this wide (px, default 560) when the host has the room. */
  minDisplayWidth?: number;
  /** Largest image height as a fraction of the window height (default 0.78). */
  maxHeightFraction?: number;
}

export interface TokenMapOverlay {
  update(tm: TokenMap, imageUrl: string): void;
  /** `range` pins the colour scale (e.g. 0..1 for a 0/1 map); default: the map's own min..max. */
  setHeatmap(map: PatchScalarMap | 'score' | null, range?: { min: number; max: number }): void;
  highlightWord(word: string | null): void;
  onWordClick(cb: (word: string) => void): void;
  exportPng(): Promise<Blob>;
  dispose(): void;
  /** Words listed in the tooltip. */
  setTopK(k: number): void;
  /** Outline patches (row-major mask), e.g. where two adapters disagree; null clears. */
  setMarked(mask: boolean[] | null): void;
  /** The word currently highlighted, or null. */
  readonly highlighted: string | null;
  /** Resolves when the image has loaded and the grid is drawn (rejects if the image cannot load). */
  readonly ready: Promise<void>;
}

const NAV_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']);

export function createTokenMapOverlay(host: HTMLElement, options: OverlayOptions = {}): TokenMapOverlay {
  adoptOverlayStyles(host);
  const fit: FitOptions = { ...DEFAULT_FIT, ...options.fit };
  let topK = options.topK ?? 5;
  let tm: TokenMap | undefined;
  let imageUrl = '';
  let heat: PatchScalarMap | 'score' | null = options.heatmap ?? null;
  let heatVals: HeatValues | undefined;
  let heatRange: { min: number; max: number } | undefined;
  let highlighted: string | null = null;
  let marked: boolean[] | null = null;
  let focusIndex = 0;
  const clickCbs: ((w: string) => void)[] = [];
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  let ready = newReady();

  const root = document.createElement('div');
  root.className = 'sl-overlay';
  const stage = document.createElement('div');
  stage.className = 'sl-stage';
  const img = document.createElement('img');
  img.className = 'sl-image';
  img.alt = '';
  img.decoding = 'async';
  stage.append(img);
  const svg = select(stage).append('svg').attr('class', 'sl-svg').attr('role', 'grid')
    .attr('aria-label', options.ariaLabel ?? 'Visual tokens: nearest words per image patch');
  const heatLayer = svg.append('g').attr('class', 'sl-heat-layer');
  const patchLayer = svg.append('g').attr('class', 'sl-patch-layer');
  const tooltip = document.createElement('div');
  tooltip.className = 'sl-tooltip';
  tooltip.hidden = true;
  tooltip.setAttribute('role', 'tooltip');
  stage.append(tooltip);
  const legend = document.createElement('div');
  legend.className = 'sl-legend';
  legend.hidden = true;
  root.append(stage, legend);
  host.append(root);

  function newReady(): Promise<void> {
    const p = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    p.catch(() => undefined); // callers that do not await must not see an unhandled rejection
    return p;
  }

  // Text widths measured with the real font, cached; falls back to the average-width estimate.
  const measureCtx = document.createElement('canvas').getContext('2d');
  const widthCache = new Map<string, number>();
  function measureEm(text: string): number {
    let w = widthCache.get(text);
    if (w === undefined) {
      if (measureCtx) {
        const family = getComputedStyle(root).fontFamily || 'sans-serif';
        measureCtx.font = `600 100px ${family}`;
        w = measureCtx.measureText(text).width / 100;
      } else w = [...text].length * 0.58;
      widthCache.set(text, w);
    }
    return w;
  }

  function themeColours(): void {
    const cs = getComputedStyle(root);
    const text = cs.getPropertyValue('--vscode-editor-foreground').trim() || '#ffffff';
    root.style.setProperty('--sl-text', text);
    root.style.setProperty('--sl-halo', haloFor(text));
  }

  function sourceSize(): { width: number; height: number } {
    return tm?.imageSize ?? { width: img.naturalWidth || 1, height: img.naturalHeight || 1 };
  }

  /**
   * Display width of the image: small images are enlarged (to at least MIN_DISPLAY px, as far as the
   * host is wide) so that their labels stay readable; big ones shrink to the host's width and to
   * maxHeightFraction of the window height.
   */
  function fitImage(): void {
    if (!img.naturalWidth) return;
    const src = sourceSize();
    const aspect = src.height / src.width;
    const avail = Math.max(120, host.clientWidth || root.parentElement?.clientWidth || src.width);
    const maxH = window.innerHeight * (options.maxHeightFraction ?? 0.78);
    const want = Math.max(src.width, Math.min(options.minDisplayWidth ?? 560, avail));
    const w = Math.floor(Math.min(want, avail, maxH / aspect));
    if (img.style.width !== `${w}px`) img.style.width = `${w}px`; // CSSOM, allowed under the CSP
  }

  function layout(): { rects: Rect[]; scale: number } | undefined {
    if (!tm || !img.complete || img.naturalWidth === 0 || img.clientWidth === 0) return undefined;
    const src = sourceSize();
    const scale = img.clientWidth / src.width;
    return { rects: patchRects(tm.grid, gridRegion(tm, src), scale), scale };
  }

  function render(): void {
    fitImage();
    const l = layout();
    if (!tm || !l) return;
    themeColours();
    svg.attr('width', img.clientWidth).attr('height', img.clientHeight);
    const patches = tm.patches;
    const heatSel = heatLayer.selectAll<SVGRectElement, number>('rect.sl-heat').data(patches.map((_, i) => i));
    heatSel.exit().remove();
    heatSel.enter().append('rect').attr('class', 'sl-heat').merge(heatSel)
      .attr('x', (i) => l.rects[i].x).attr('y', (i) => l.rects[i].y)
      .attr('width', (i) => l.rects[i].width).attr('height', (i) => l.rects[i].height)
      .attr('fill', (i) => {
        const v = heatVals?.values[i];
        return v === undefined || Number.isNaN(v) ? 'transparent' : interpolateViridis(v);
      });
    svg.classed('sl-heat-on', heatVals !== undefined);

    const sel = patchLayer.selectAll<SVGGElement, number>('g.sl-patch').data(patches.map((_, i) => i));
    sel.exit().remove();
    const entered = sel.enter().append('g').attr('class', 'sl-patch').attr('role', 'gridcell');
    entered.append('rect').attr('class', 'sl-cell');
    entered.append('text').attr('class', 'sl-word');
    const all = entered.merge(sel);
    all.attr('tabindex', (i) => (i === focusIndex ? 0 : -1))
      .attr('aria-label', (i) => patchLabel(patches[i], topK))
      .attr('data-index', (i) => i)
      .classed('sl-marked', (i) => !!marked?.[i]);
    all.select<SVGRectElement>('rect.sl-cell')
      .attr('x', (i) => l.rects[i].x).attr('y', (i) => l.rects[i].y)
      .attr('width', (i) => l.rects[i].width).attr('height', (i) => l.rects[i].height);
    all.select<SVGTextElement>('text.sl-word').each(function (i) {
      const r = l.rects[i];
      const word = patches[i].words[0]?.word ?? '';
      const f = fitLabel(word, r.width, r.height, { ...fit, measureEm });
      select(this).attr('x', r.x + r.width / 2).attr('y', r.y + r.height / 2)
        .attr('font-size', f.fontPx.toFixed(1)).attr('display', f.visible ? null : 'none').text(f.text);
    });
    applyHighlight(all);
    renderLegend();
  }

  function applyHighlight(all = patchLayer.selectAll<SVGGElement, number>('g.sl-patch')): void {
    const patches = tm?.patches ?? [];
    all.classed('sl-hit', (i) => highlighted !== null && patches[i]?.words[0]?.word === highlighted)
      .classed('sl-dim', (i) => highlighted !== null && patches[i]?.words[0]?.word !== highlighted);
  }

  function renderLegend(): void {
    legend.replaceChildren();
    legend.hidden = heatVals === undefined;
    if (!heatVals) return;
    const bar = document.createElement('canvas');
    bar.width = 160;
    bar.height = 10;
    const ctx = bar.getContext('2d');
    if (ctx) for (let x = 0; x < 160; x++) {
      ctx.fillStyle = interpolateViridis(x / 159);
      ctx.fillRect(x, 0, 1, 10);
    }
    const lo = document.createElement('span');
    lo.textContent = heatVals.min.toFixed(3);
    const hi = document.createElement('span');
    hi.textContent = heatVals.max.toFixed(3);
    const name = document.createElement('span');
    name.className = 'sl-legend-name';
    name.textContent = heatVals.label;
    legend.append(name, lo, bar, hi);
  }

  function showTooltip(i: number): void {
    const l = layout();
    if (!tm || !l) return;
    const p = tm.patches[i];
    tooltip.replaceChildren();
    const title = document.createElement('div');
    title.className = 'sl-tooltip-title';
    title.textContent = `row ${p.row + 1}, col ${p.col + 1}`;
    tooltip.append(title);
    const best = Math.max(1e-9, ...p.words.slice(0, topK).map((w) => Math.abs(w.score)));
    for (const w of p.words.slice(0, topK)) {
      const row = document.createElement('div');
      row.className = 'sl-tooltip-row';
      const word = document.createElement('span');
      word.className = 'sl-tooltip-word';
      word.textContent = w.word;
      const score = document.createElement('span');
      score.className = 'sl-tooltip-score';
      score.textContent = w.score.toFixed(3);
      const bar = document.createElement('div');
      bar.className = 'sl-tooltip-bar';
      bar.style.transform = `scaleX(${Math.max(0, w.score) / best})`; // CSSOM, allowed under the CSP
      row.append(word, score, bar);
      tooltip.append(row);
    }
    tooltip.hidden = false;
    const r = l.rects[i];
    const tw = tooltip.offsetWidth;
    const th = tooltip.offsetHeight;
    const left = Math.min(Math.max(0, r.x + r.width + 6), Math.max(0, img.clientWidth - tw));
    const top = r.y + r.height + 6 + th > img.clientHeight ? Math.max(0, r.y - th - 6) : r.y + r.height + 6;
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${top}px`;
  }

  function hideTooltip(): void {
    tooltip.hidden = true;
  }

  function clickPatch(i: number): void {
    const word = tm?.patches[i]?.words[0]?.word;
    if (word === undefined) return;
    highlightWord(highlighted === word ? null : word);
    for (const cb of clickCbs) cb(word);
  }

  function focusPatch(i: number): void {
    focusIndex = i;
    const nodes = patchLayer.selectAll<SVGGElement, number>('g.sl-patch');
    nodes.attr('tabindex', (j) => (j === i ? 0 : -1));
    const node = nodes.filter((j) => j === i).node();
    node?.focus();
    showTooltip(i);
  }

  function indexOf(ev: Event): number | undefined {
    const g = (ev.target as Element | null)?.closest?.('g.sl-patch');
    const v = g?.getAttribute('data-index');
    return v === null || v === undefined ? undefined : Number(v);
  }

  const svgNode = svg.node()!;
  svgNode.addEventListener('pointerover', (ev) => {
    const i = indexOf(ev);
    if (i !== undefined) showTooltip(i);
  });
  svgNode.addEventListener('pointerleave', hideTooltip);
  svgNode.addEventListener('click', (ev) => {
    const i = indexOf(ev);
    if (i !== undefined) {
      focusIndex = i;
      clickPatch(i);
    }
  });
  svgNode.addEventListener('focusin', (ev) => {
    const i = indexOf(ev);
    if (i !== undefined) {
      focusIndex = i;
      showTooltip(i);
    }
  });
  svgNode.addEventListener('focusout', hideTooltip);
  svgNode.addEventListener('keydown', (ev) => {
    if (!tm) return;
    if (NAV_KEYS.has(ev.key)) {
      ev.preventDefault();
      focusPatch(nextPatchIndex(focusIndex, ev.key as NavKey, tm.grid));
    } else if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      clickPatch(focusIndex);
    } else if (ev.key === 'Escape') {
      highlightWord(null);
      hideTooltip();
    }
  });

  // Re-fit when the host's width changes. Rendering in the next frame (not inside the observer callback)
  // avoids a resize loop: fitting the image changes the host's height, which the observer also sees.
  let frame = 0;
  let lastWidth = -1;
  const resize = new ResizeObserver((entries) => {
    const w = entries[entries.length - 1]?.contentRect.width ?? host.clientWidth;
    if (w === lastWidth) return;
    lastWidth = w;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(render);
  });
  resize.observe(host);
  img.addEventListener('load', () => {
    render();
    readyResolve();
  });
  img.addEventListener('error', () => readyReject(new Error(`the image could not be displayed (${imageUrl})`)));

  function setHeatmapInternal(map: PatchScalarMap | 'score' | null): void {
    heat = map;
    heatVals = tm && map ? heatValues(tm, map, heatRange) : undefined;
  }

  function highlightWord(word: string | null): void {
    highlighted = word;
    applyHighlight();
  }

  const api: TokenMapOverlay = {
    update(next: TokenMap, url: string) {
      tm = next;
      if (focusIndex >= next.patches.length) focusIndex = 0;
      if (highlighted !== null && !next.patches.some((p) => p.words[0]?.word === highlighted)) highlighted = null;
      setHeatmapInternal(heat);
      if (url !== imageUrl) {
        imageUrl = url;
        ready = newReady();
        img.src = url;
      } else {
        render();
      }
    },
    setHeatmap(map, range) {
      heatRange = range;
      setHeatmapInternal(map);
      render();
    },
    highlightWord,
    onWordClick(cb) {
      clickCbs.push(cb);
    },
    setTopK(k: number) {
      topK = Math.max(1, Math.floor(k));
      render();
    },
    setMarked(mask) {
      marked = mask;
      render();
    },
    get highlighted() {
      return highlighted;
    },
    get ready() {
      return ready;
    },
    async exportPng() {
      if (!tm) throw new Error('nothing to export yet: no token map has been shown');
      await ready;
      return drawOverlayPng({ tm, img, imageUrl, heat: heatVals, highlighted, marked, fit, colours: getComputedStyle(root) });
    },
    dispose() {
      resize.disconnect();
      cancelAnimationFrame(frame);
      clickCbs.length = 0;
      root.remove();
    },
  };
  return api;
}

