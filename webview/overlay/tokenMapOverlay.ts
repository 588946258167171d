// The token-map overlay: the image with every visual token drawn at its box (any size and aspect), the
// top word fitted where it fits, a hover/focus tooltip with the top-k words, click-a-word highlighting, a
// word search, a view switcher for multi-view maps, zoom and pan, a heat or category layer, the tokens
// that have no place on the image listed beside it, and a PNG export. The explain and compare views and
// the notebook renderer all use it. Boxes and labels are painted on a canvas (overlayCanvas.ts,
// overlayLabels.ts) and hover is a bucketed hit test (hitIndex.ts), so 2,928 tokens stay smooth; the SVG
// on top takes the pointer and keyboard and holds only the hover, focus and linked outlines. Words come from a tokenizer and are untrusted: they reach the DOM as text only.

import { interpolateViridis } from 'd3';
import type { TokenMap, PatchScalarMap, Box } from '../../src/shared/tokenMap';
import { boxRect, DEFAULT_FIT, haloFor, heatValues, nextPatchIndex, patchLabel, type FitOptions, type HeatValues, type NavKey } from '../../src/shared/overlayLayout';
import { adoptOverlayStyles } from './overlayStyles';
import { drawOverlayPng } from './overlayExport';
import { paintCells, DEFAULT_PALETTE, type Palette } from './overlayCanvas';
import { createMeasurer, paintLabels } from './overlayLabels';
import { createTooltip } from './overlayTooltip';
import { createOverlayControls } from './overlayControls';
import { createSideList } from './sideList';
import { renderCategoryLegend, renderContinuousLegend, type Categories } from './overlayLegend';
import { createHitIndex, type HitIndex } from './hitIndex';
import { defaultChoice, modelInputCaption, tokensOf, viewChoices, type ViewChoice } from './viewChoices';
import { searchSummary, searchTokens } from './wordSearch';
import { fitTransform, panBy, panToShow, zoomAbout, type Viewport } from './zoomTransform';
import type { Transform } from '../../src/shared/overlayLayout';

export type { Categories } from './overlayLegend';

export interface OverlayOptions {
  /** Words shown in the tooltip (default 5). */
  topK?: number;
  heatmap?: PatchScalarMap | 'score' | null;
  /** Accessible name of the token map. */
  ariaLabel?: string;
  /** Label fitting limits (px); defaults: 7–28. */
  fit?: Partial<FitOptions>;
  /** Small images are shown at least this wide (px, default 560) when the host has the room. */
  minDisplayWidth?: number;
  /** Largest image height as a fraction of the window height (default 0.78). */
  maxHeightFraction?: number;
  /** Extra tooltip lines for a token (the compare view adds the other adapter's word). */
  tooltipExtra?: (index: number) => string[];
}

/** What is highlighted: tokens whose top word is `word` (a click), or whose top-k holds it (the search). */
export interface Highlight {
  word: string;
  mode: 'top1' | 'topk';
  /** Highlighted tokens in the current view. */
  count: number;
}

export interface TokenMapOverlay {
  update(tm: TokenMap, imageUrl: string): void;
  /** `range` pins the colour scale (e.g. 0..1); default: the map's own min..max. */
  setHeatmap(map: PatchScalarMap | 'score' | null, range?: { min: number; max: number }): void;
  /** A categorical colour layer with a legend of counts (replaces the heat layer; null clears). */
  setCategories(cat: Categories | null): void;
  highlightWord(word: string | null): void;
  onWordClick(cb: (word: string) => void): void;
  /** Called whenever the highlight changes (click, search, Escape, a new map): null when cleared. */
  onHighlight(cb: (h: Highlight | null) => void): void;
  /** The token under the pointer or keyboard focus (undefined when none), for linked views. */
  onHover(cb: (index: number | undefined) => void): void;
  /** Outlines a token hovered in a linked view; undefined clears. */
  setLinked(index: number | undefined): void;
  exportPng(): Promise<Blob>;
  dispose(): void;
  setTopK(k: number): void;
  /** Outline tokens (patches order), e.g. where two adapters disagree; null clears. */
  setMarked(mask: boolean[] | null): void;
  readonly highlighted: string | null;
  /** Resolves when the image has loaded and the tokens are drawn (rejects if the image cannot load). */
  readonly ready: Promise<void>;
}

const NAV_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']);
const SVG = 'http://www.w3.org/2000/svg';
const svgEl = <K extends keyof SVGElementTagNameMap>(tag: K, cls: string): SVGElementTagNameMap[K] => {
  const e = document.createElementNS(SVG, tag);
  e.setAttribute('class', cls);
  return e;
};

export function createTokenMapOverlay(host: HTMLElement, options: OverlayOptions = {}): TokenMapOverlay {
  adoptOverlayStyles(host);
  let topK = options.topK ?? 5;
  let tm: TokenMap | undefined;
  let imageUrl = '';
  let boxes: (Box | undefined)[] = [];
  let choices: ViewChoice[] = [];
  let choice: ViewChoice | undefined;
  let spatial: number[] = [];
  let listed: number[] = [];
  let onScreen = new Set<number>();
  let hitIndex: HitIndex | undefined;
  let vp: Viewport = { width: 1, height: 1 };
  let t: Transform = { k: 1, x: 0, y: 0 };
  let fitK = 1;
  let heat: PatchScalarMap | 'score' | null = options.heatmap ?? null;
  let heatRange: { min: number; max: number } | undefined;
  let heatVals: HeatValues | undefined;
  let categories: Categories | null = null;
  let highlight: { word: string; mode: 'top1' | 'topk' } | null = null;
  let hits: Uint8Array | null = null;
  let marked: boolean[] | null = null;
  let hoverIndex: number | undefined;
  let focusIndex: number | undefined;
  let linked: number | undefined;
  let needFit = true;
  const clickCbs: ((w: string) => void)[] = [];
  const highlightCbs: ((h: Highlight | null) => void)[] = [];
  const hoverCbs: ((i: number | undefined) => void)[] = [];
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  let ready = newReady();

  // DOM: controls, then [stage | side list], then caption and legend.
  const root = document.createElement('div');
  root.className = 'sl-overlay';
  const controls = createOverlayControls({ onView: selectView, onSearch: search, onZoom: zoomAction });
  const body = document.createElement('div');
  body.className = 'sl-body';
  const stage = document.createElement('div');
  stage.className = 'sl-stage';
  const viewport = document.createElement('div');
  viewport.className = 'sl-viewport';
  const img = document.createElement('img');
  img.className = 'sl-image';
  img.alt = '';
  img.decoding = 'async';
  const canvas = document.createElement('canvas');
  canvas.className = 'sl-canvas';
  const svg = svgEl('svg', 'sl-svg');
  svg.setAttribute('tabindex', '0');
  svg.setAttribute('role', 'application');
  svg.setAttribute('aria-roledescription', 'token map');
  svg.setAttribute('aria-label', options.ariaLabel ?? 'Visual tokens: nearest words per image patch');
  svg.setAttribute('aria-keyshortcuts', 'ArrowLeft ArrowRight ArrowUp ArrowDown Home End Enter Escape + - 0');
  const linkedRect = svgEl('rect', 'sl-linked');
  const hoverRect = svgEl('rect', 'sl-hover');
  const focusRect = svgEl('rect', 'sl-focus');
  svg.append(linkedRect, hoverRect, focusRect);
  viewport.append(img, canvas, svg);
  const tooltip = createTooltip(stage);
  stage.prepend(viewport);
  // The current token (keyboard focus, else the view's first token) in words, for screen readers (the token
  // map's description, announced as it changes) and for the end-to-end tests, which read the view as text.
  const live = document.createElement('div');
  live.className = 'sl-current';
  live.id = `sl-current-${Math.random().toString(36).slice(2)}`;
  live.setAttribute('aria-live', 'polite');
  svg.setAttribute('aria-describedby', live.id);
  const side = createSideList((i) => clickToken(i));
  body.append(stage, side.element);
  const caption = document.createElement('div');
  caption.className = 'sl-caption';
  const legend = document.createElement('div');
  legend.className = 'sl-legend';
  legend.hidden = true;
  root.append(controls.element, body, caption, legend, live);
  host.append(root);

  const fit: FitOptions = { ...DEFAULT_FIT, ...options.fit, measureEm: createMeasurer(() => getComputedStyle(root).fontFamily) };

  function newReady(): Promise<void> {
    const p = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    p.catch(() => undefined); // callers that do not await must not see an unhandled rejection
    return p;
  }

  /** Theme colours as the canvas needs them (real colours, read from the --vscode-* variables). */
  function palette(): Palette & { text: string; halo: string; family: string } {
    const cs = getComputedStyle(root);
    const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
    const text = v('--vscode-editor-foreground', '#ffffff');
    return {
      ...DEFAULT_PALETTE, hitStroke: v('--vscode-editorWarning-foreground', DEFAULT_PALETTE.hitStroke), marked: v('--vscode-editorError-foreground', DEFAULT_PALETTE.marked),
      text, halo: haloFor(text), family: cs.fontFamily || 'sans-serif',
    };
  }

  /** Viewport size: the whole image's aspect at the host's width; small images enlarged to minDisplayWidth. */
  function measureViewport(): boolean {
    if (!tm) return false;
    const { width, height } = tm.imageSize;
    const avail = Math.max(120, host.clientWidth - (side.element.hidden ? 0 : side.element.offsetWidth + 12) || width);
    const maxH = window.innerHeight * (options.maxHeightFraction ?? 0.78);
    let w = Math.min(avail, Math.max(width, options.minDisplayWidth ?? 560));
    let h = (w * height) / width;
    if (h > maxH) [w, h] = [(maxH * width) / height, maxH];
    const next = { width: Math.max(1, Math.floor(w)), height: Math.max(1, Math.floor(h)) };
    const changed = next.width !== vp.width || next.height !== vp.height;
    vp = next;
    return changed;
  }

  function layout(): void {
    if (!tm || !choice || !img.complete || img.naturalWidth === 0) return;
    if (measureViewport()) needFit = true;
    viewport.style.width = `${vp.width}px`; // CSSOM, allowed under the CSP
    viewport.style.height = `${vp.height}px`;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(vp.width * dpr);
    canvas.height = Math.round(vp.height * dpr);
    svg.setAttribute('width', String(vp.width));
    svg.setAttribute('height', String(vp.height));
    img.style.width = `${tm.imageSize.width}px`;
    img.style.height = `${tm.imageSize.height}px`;
    fitK = fitTransform(choice.rect, vp).k;
    if (needFit) {
      t = fitTransform(choice.rect, vp);
      needFit = false;
    }
    draw();
  }

  let frame = 0;
  function scheduleDraw(): void {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(draw);
  }

  function fills(): (string | undefined)[] | undefined {
    if (categories) return categories.values.map((v) => categories!.colours[v]);
    // 64 colour steps: one canvas path per step instead of one fill per token.
    return heatVals?.values.map((v) => (Number.isNaN(v) ? undefined : interpolateViridis(Math.round(v * 63) / 63)));
  }

  function draw(): void {
    if (!tm || !choice) return;
    img.style.transform = `translate(${t.x}px, ${t.y}px) scale(${t.k})`;
    img.classList.toggle('sl-pixelated', t.k > 1); // enlarged pixels stay sharp squares
    const ctx = canvas.getContext('2d');
    if (ctx) {
      const dpr = canvas.width / vp.width;
      const pal = palette();
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, vp.width, vp.height);
      paintCells(ctx, {
        boxes, indices: spatial, t, width: vp.width, height: vp.height, fills: fills(), hits, marked,
        seen: choice.tiles.map((i) => tm!.views[i].rect), imageSize: tm.imageSize, palette: pal,
      });
      root.dataset.labels = String(paintLabels(ctx, { tm, boxes, indices: spatial, t, width: vp.width, height: vp.height, fit, hits, ...pal }));
    }
    placeRect(linkedRect, linked);
    placeRect(hoverRect, hoverIndex);
    placeRect(focusRect, focusIndex);
  }

  function placeRect(r: SVGRectElement, i: number | undefined): void {
    const b = i === undefined ? undefined : boxes[i];
    if (!b || !onScreen.has(i!)) return void r.setAttribute('display', 'none');
    const q = boxRect(b, t);
    r.removeAttribute('display');
    r.setAttribute('x', String(q.x));
    r.setAttribute('y', String(q.y));
    r.setAttribute('width', String(Math.max(1, q.width)));
    r.setAttribute('height', String(Math.max(1, q.height)));
  }

  function tokenTitle(i: number): string {
    return patchLabel({ ...tm!.patches[i], words: [] }, 0, tm!.views.length > 1 ? tm!.views[tm!.patches[i].tile] : undefined).replace(/: no word$/, '');
  }

  function showTip(i: number | undefined): void {
    if (i === undefined || !tm || !boxes[i]) return tooltip.hide();
    tooltip.show(tokenTitle(i), tm.patches[i], topK, boxRect(boxes[i]!, t), vp, options.tooltipExtra?.(i));
  }

  function setHover(i: number | undefined): void {
    if (i === hoverIndex) return;
    hoverIndex = i;
    placeRect(hoverRect, i);
    showTip(i ?? focusIndex);
    for (const cb of hoverCbs) cb(i);
  }

  function focusToken(i: number): void {
    if (!tm) return;
    focusIndex = i;
    root.dataset.focus = String(i);
    if (boxes[i]) {
      const moved = panToShow(t, boxes[i]!, vp);
      if (moved !== t) {
        t = moved;
        draw();
      }
    }
    placeRect(focusRect, i);
    describe(i);
    showTip(i);
    for (const cb of hoverCbs) cb(i);
  }

  function describe(i: number | undefined): void {
    live.textContent = tm && i !== undefined ? patchLabel(tm.patches[i], topK, tm.views.length > 1 ? tm.views[tm.patches[i].tile] : undefined) : '';
  }

  // Highlighting: a click highlights tokens with the same top word; the search, tokens whose top-k holds it.
  function applyHighlight(h: { word: string; mode: 'top1' | 'topk' } | null): void {
    highlight = h;
    hits = null;
    let count = 0;
    let total = 0;
    if (tm && h) {
      hits = new Uint8Array(tm.patches.length);
      const all = h.mode === 'topk' ? searchTokens(tm, h.word, topK) : tm.patches.flatMap((p, i) => (p.words[0]?.word === h.word ? [i] : []));
      for (const i of all) hits[i] = 1;
      total = all.length;
      count = [...spatial, ...listed].filter((i) => hits![i]).length;
      if (h.mode === 'topk') controls.setSearchSummary(searchSummary(h.word, count, total));
    }
    root.dataset.hits = String(count);
    side.render(tm ?? ({ patches: [], views: [] } as unknown as TokenMap), tm ? listed : [], topK, hits);
    scheduleDraw();
    const out = h ? { ...h, count } : null;
    for (const cb of highlightCbs) cb(out);
  }

  function clickToken(i: number): void {
    const word = tm?.patches[i]?.words[0]?.word;
    if (word === undefined) return;
    controls.clearSearch();
    applyHighlight(highlight?.mode === 'top1' && highlight.word === word ? null : { word, mode: 'top1' });
    for (const cb of clickCbs) cb(word);
  }

  function search(query: string): void {
    if (!query.trim()) {
      controls.clearSearch();
      if (highlight?.mode === 'topk') applyHighlight(null);
      return;
    }
    applyHighlight({ word: query, mode: 'topk' });
  }

  function selectView(id: string): void {
    if (!tm) return;
    choice = choices.find((c) => c.id === id) ?? defaultChoice(choices);
    ({ spatial, listed } = tokensOf(tm, choice));
    onScreen = new Set(spatial);
    hitIndex = createHitIndex(boxes, spatial, tm.imageSize);
    root.dataset.view = choice.id;
    root.dataset.tokens = String(spatial.length);
    caption.textContent = modelInputCaption(tm, choice);
    if (focusIndex !== undefined && !onScreen.has(focusIndex)) focusIndex = undefined;
    describe(focusIndex ?? spatial[0] ?? listed[0]);
    needFit = true;
    applyHighlight(highlight);
    renderLegend();
    layout();
  }

  function zoomAction(action: 'in' | 'out' | 'fit'): void {
    if (!choice) return;
    t = action === 'fit' ? fitTransform(choice.rect, vp) : zoomAbout(t, action === 'in' ? 1.5 : 1 / 1.5, vp.width / 2, vp.height / 2, fitK);
    scheduleDraw();
  }

  function renderLegend(): void {
    if (categories) renderCategoryLegend(legend, categories, [...spatial, ...listed], tm?.patches.length ?? 0);
    else renderContinuousLegend(legend, heatVals);
    root.dataset.heat = heatVals || categories ? 'on' : 'off';
    svg.classList.toggle('sl-heat-on', !!(heatVals || categories));
  }

  // Pointer: hover hit-tests, drag pans, a click without a drag highlights, the wheel zooms.
  const local = (ev: { clientX: number; clientY: number }) => {
    const r = svg.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top] as const;
  };
  let drag: { x: number; y: number; t: Transform; moved: boolean } | undefined;
  svg.addEventListener('pointermove', (ev) => {
    const [x, y] = local(ev);
    if (drag && (ev.buttons & 1)) {
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 4) drag.moved = true;
      if (drag.moved && tm) {
        t = panBy(drag.t, x - drag.x, y - drag.y, tm.imageSize, vp);
        scheduleDraw();
        return;
      }
    }
    setHover(hitIndex?.at((x - t.x) / t.k, (y - t.y) / t.k));
  });
  svg.addEventListener('pointerleave', () => setHover(undefined));
  svg.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    const [x, y] = local(ev);
    drag = { x, y, t, moved: false };
    svg.setPointerCapture?.(ev.pointerId);
  });
  svg.addEventListener('pointerup', (ev) => {
    const d = drag;
    drag = undefined;
    if (!d || d.moved) return;
    const [x, y] = local(ev);
    const i = hitIndex?.at((x - t.x) / t.k, (y - t.y) / t.k);
    if (i !== undefined) {
      focusIndex = i;
      root.dataset.focus = String(i);
      placeRect(focusRect, i);
      clickToken(i);
    }
  });
  svg.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const [x, y] = local(ev);
    t = zoomAbout(t, Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.002)), x, y, fitK);
    scheduleDraw();
  }, { passive: false });
  svg.addEventListener('focus', () => {
    if (drag) return; // focused by a click: the click picks the token, the view must not jump to the first one
    if (focusIndex === undefined && spatial.length) focusToken(spatial[0]);
    else if (focusIndex !== undefined) showTip(focusIndex);
  });
  svg.addEventListener('blur', () => tooltip.hide());
  svg.addEventListener('keydown', (ev) => {
    if (!tm) return;
    if (NAV_KEYS.has(ev.key)) {
      ev.preventDefault();
      focusToken(focusIndex === undefined ? spatial[0] : nextPatchIndex(focusIndex, ev.key as NavKey, boxes, spatial));
    } else if ((ev.key === 'Enter' || ev.key === ' ') && focusIndex !== undefined) {
      ev.preventDefault();
      clickToken(focusIndex);
    } else if (ev.key === 'Escape') {
      controls.clearSearch();
      applyHighlight(null);
      tooltip.hide();
    } else if (ev.key === '+' || ev.key === '=') zoomAction('in');
    else if (ev.key === '-' || ev.key === '_') zoomAction('out');
    else if (ev.key === '0') zoomAction('fit');
  });

  // Re-fit when the host's width changes; in the next frame, not inside the observer (no resize loop).
  let lastWidth = -1;
  let resizeFrame = 0;
  const resize = new ResizeObserver((entries) => {
    const w = entries[entries.length - 1]?.contentRect.width ?? host.clientWidth;
    if (w === lastWidth) return;
    lastWidth = w;
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(layout);
  });
  resize.observe(host);
  img.addEventListener('load', () => {
    layout();
    readyResolve();
  });
  img.addEventListener('error', () => readyReject(new Error(`the image could not be displayed (${imageUrl})`)));

  function setHeatInternal(map: PatchScalarMap | 'score' | null): void {
    heat = map;
    heatVals = tm && map ? heatValues(tm, map, heatRange) : undefined;
  }

  return {
    update(next, url) {
      const sameViews = tm !== undefined && tm.views.length === next.views.length && tm.views.every((v, i) => v.id === next.views[i].id);
      tm = next;
      boxes = next.patches.map((p) => (p.kind === 'patch' ? p.box : undefined));
      choices = viewChoices(next);
      // The keyboard position survives a new adapter or top-k only while the map has the focus.
      const focused = (root.getRootNode() as Document | ShadowRoot).activeElement === svg;
      if (!focused || (focusIndex !== undefined && focusIndex >= next.patches.length)) focusIndex = undefined;
      if (categories && categories.values.length !== next.patches.length) categories = null;
      if (highlight?.mode === 'top1' && !next.patches.some((p) => p.words[0]?.word === highlight!.word)) highlight = null;
      setHeatInternal(heat);
      const keepView = sameViews && choice ? choice.id : defaultChoice(choices).id;
      controls.setChoices(choices, keepView);
      const keepT = sameViews ? t : undefined;
      if (url !== imageUrl) {
        imageUrl = url;
        ready = newReady();
        img.src = url;
      }
      selectView(keepView);
      if (keepT && url === imageUrl && img.complete) {
        t = keepT; // a new adapter or top-k keeps the zoom
        draw();
      }
    },
    setHeatmap(map, range) {
      heatRange = range;
      categories = null;
      setHeatInternal(map);
      renderLegend();
      scheduleDraw();
    },
    setCategories(cat) {
      categories = cat;
      if (cat) heatVals = undefined;
      else setHeatInternal(heat);
      renderLegend();
      scheduleDraw();
    },
    highlightWord(word) {
      controls.clearSearch();
      applyHighlight(word === null ? null : { word, mode: 'top1' });
    },
    onWordClick: (cb) => void clickCbs.push(cb),
    onHighlight: (cb) => void highlightCbs.push(cb),
    onHover: (cb) => void hoverCbs.push(cb),
    setLinked(i) {
      linked = i;
      placeRect(linkedRect, i);
    },
    setTopK(k) {
      topK = Math.max(1, Math.floor(k));
      if (highlight?.mode === 'topk') applyHighlight(highlight);
    },
    setMarked(mask) {
      marked = mask;
      scheduleDraw();
    },
    get highlighted() {
      return highlight?.word ?? null;
    },
    get ready() {
      return ready;
    },
    async exportPng() {
      if (!tm || !choice) throw new Error('nothing to export yet: no token map has been shown');
      await ready;
      return drawOverlayPng({
        tm, img, imageUrl, fills: fills(), hits, marked, fit, palette: palette(),
        indices: spatial, seen: choice.tiles.map((i) => tm!.views[i].rect),
      });
    },
    dispose() {
      resize.disconnect();
      cancelAnimationFrame(frame);
      cancelAnimationFrame(resizeFrame);
      clickCbs.length = highlightCbs.length = hoverCbs.length = 0;
      root.remove();
    },
  };
}
