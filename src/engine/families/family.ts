// What a model family contributes to the engine: how its image processor turns one image into views (the
// base image, tiles, a thumbnail), how each view's pixels are fed to the exported vision tower, and where
// every visual token the LLM receives lies on the original image. Each family lives in its own folder
// (src/engine/families/<id>/) with one entry in registry.ts; the Python side of the same family
// (python/sealens/hfpack/families/<id>.py) exports the tower and projector that these views feed.
import type * as ort from 'onnxruntime-node';
import type { Box, Grid, TokenKind } from '../../shared/tokenMap';
import type { PixelOp } from './imageViews';

/** The normalisation every view shares (from the family's preprocessor_config.json). */
export interface Normalization {
  rescale: number | null;
  mean: [number, number, number] | null;
  std: [number, number, number] | null;
}

export interface ViewSpec {
  /** Stable id: `image`, `base`, `tile-<r>-<c>`, `thumbnail`. */
  id: string;
  label: string;
  /** Pixel operations from the decoded source image (RGB, EXIF applied, alpha on white) to the model input. */
  ops: PixelOp[];
  /** Model input size of this view. */
  width: number;
  height: number;
}

/** One visual token in the order the LLM receives it. */
export type LayoutEntry =
  /** Token `index` of view `view`'s adapter output; `row`/`col` in that view's token grid. */
  | { view: number; index: number; row: number; col: number; kind?: TokenKind }
  /** A learned vector of the model (LLaVA-NeXT's image_newline) placed after row `row` of view `view`. */
  | { view: number; extra: string; row: number; kind: Exclude<TokenKind, 'patch'> };

export interface FamilyConfig {
  norm: Normalization;
  /** Input side of the encoder's patch (pixels), for the token grid before the adapter. */
  patchSize: number;
}

export interface ModelFamily<C extends FamilyConfig = FamilyConfig> {
  id: string;
  /** Shown in messages: "LLaVA-1.5", "LLaVA-NeXT (anyres)". */
  title: string;
  /**
   * Reads the family's processor settings (preprocessor_config.json, as the model's own image processor
   * reads them) and the manifest's /imageEncoder/geometry; refuses settings it does not understand.
   */
  parse(preprocessor: Record<string, unknown>, geometry: Record<string, unknown>, label: string, patchSize: number): C;
  /** The views of an image of this size; refuses sizes the family's processor rejects (saying the limits). */
  views(size: { width: number; height: number }, cfg: C): ViewSpec[];
  /** Feeds of the exported vision tower for one view; default `{ [input]: [1, 3, h, w] }`. */
  encoderFeeds?(pixels: Float32Array, view: ViewSpec, cfg: C, input: string, ortModule: typeof ort): Record<string, ort.Tensor>;
  /** The view's token grid after the adapter, given how many tokens the adapter returned for it. */
  viewGrid(view: ViewSpec, cfg: C, tokens: number): Grid;
  /** The order of the visual tokens; default: every view's tokens in turn, row-major. */
  layout?(views: ViewSpec[], grids: Grid[], cfg: C, imageSize: { width: number; height: number }): LayoutEntry[];
  /** Learned vectors the layout refers to (`extra`), by name → manifest tensor key in /imageEncoder/geometry. */
  extras?: readonly string[];
}

/** The default order: every view's tokens in turn, row-major. */
export function defaultLayout(grids: Grid[]): LayoutEntry[] {
  const out: LayoutEntry[] = [];
  grids.forEach((g, view) => {
    for (let i = 0; i < g.rows * g.cols; i++) out.push({ view, index: i, row: Math.floor(i / g.cols), col: i % g.cols });
  });
  return out;
}

export type { Box, Grid };
