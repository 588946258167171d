// The overlay's elements: its toolbar, then [the image stage | the list of tokens not on the image], then
// the model-input caption, the legend and the current token in words. The stage stacks the image (moved by a
// CSS transform), the canvas the boxes and labels are painted on, and an SVG that takes the pointer and the
// keyboard and holds the hover, focus and linked outlines.

import { createOverlayControls, type ControlEvents, type OverlayControls } from './overlayControls';
import { createSideList, type SideList } from './sideList';
import { createTooltip, type Tooltip } from './overlayTooltip';

export interface OverlayDom {
  root: HTMLElement;
  controls: OverlayControls;
  viewport: HTMLElement;
  img: HTMLImageElement;
  canvas: HTMLCanvasElement;
  svg: SVGSVGElement;
  hoverRect: SVGRectElement;
  focusRect: SVGRectElement;
  linkedRect: SVGRectElement;
  tooltip: Tooltip;
  side: SideList;
  caption: HTMLElement;
  legend: HTMLElement;
  /** The current token in words: the map's description for screen readers, read as text by the e2e tests. */
  current: HTMLElement;
}

const SVG = 'http://www.w3.org/2000/svg';
let seq = 0;

function div(cls: string): HTMLDivElement {
  const d = document.createElement('div');
  d.className = cls;
  return d;
}

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, cls: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  e.setAttribute('class', cls);
  return e;
}

export function buildOverlayDom(ariaLabel: string, events: ControlEvents, onPickListed: (index: number) => void): OverlayDom {
  const root = div('sl-overlay');
  const controls = createOverlayControls(events);
  const body = div('sl-body');
  const stage = div('sl-stage');
  const viewport = div('sl-viewport');
  const img = document.createElement('img');
  img.className = 'sl-image';
  img.alt = '';
  img.decoding = 'async';
  const canvas = document.createElement('canvas');
  canvas.className = 'sl-canvas';
  const svg = svgEl('svg', 'sl-svg');
  const current = div('sl-current');
  current.id = `sl-current-${++seq}`;
  current.setAttribute('aria-live', 'polite');
  for (const [k, v] of [
    ['tabindex', '0'], ['role', 'application'], ['aria-roledescription', 'token map'], ['aria-label', ariaLabel],
    ['aria-keyshortcuts', 'ArrowLeft ArrowRight ArrowUp ArrowDown Home End Enter Escape + - 0'], ['aria-describedby', current.id],
  ]) svg.setAttribute(k, v);
  const linkedRect = svgEl('rect', 'sl-linked');
  const hoverRect = svgEl('rect', 'sl-hover');
  const focusRect = svgEl('rect', 'sl-focus');
  svg.append(linkedRect, hoverRect, focusRect);
  viewport.append(img, canvas, svg);
  stage.append(viewport);
  const tooltip = createTooltip(stage);
  const side = createSideList(onPickListed);
  body.append(stage, side.element);
  const caption = div('sl-caption');
  const legend = div('sl-legend');
  legend.hidden = true;
  root.append(controls.element, body, caption, legend, current);
  return { root, controls, viewport, img, canvas, svg, hoverRect, focusRect, linkedRect, tooltip, side, caption, legend, current };
}
