// The TokenMap: what every visual token of one image decodes to. It is the engine's answer, the CLI's
// JSON, the webview's and the notebook renderer's input (MIME application/vnd.sealens.tokenmap+json).

export type Device = 'cpu' | 'webgpu' | 'cuda';
export type DeviceChoice = 'auto' | Device;
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', 'webgpu', 'cuda', 'cpu'];

export const TOKENMAP_MIME = 'application/vnd.sealens.tokenmap+json';

export interface WordScore {
  word: string;
  /** Cosine similarity between the visual token and the word's LLM input embedding. */
  score: number;
}

export interface PatchWords {
  row: number;
  col: number;
  /** Sorted by score, best first; length = top-k. */
  words: WordScore[];
}

export interface TokenMap {
  /** Image path (as given, or relative to the notebook/report), or a display name. */
  image: string;
  /** Pack name. */
  pack: string;
  adapter: string;
  device: Device;
  grid: { rows: number; cols: number };
  /** Row-major, one entry per patch. */
  patches: PatchWords[];
  /** Milliseconds per stage, e.g. preprocess, encoder, adapter, search, total. */
  timings: Record<string, number>;
  /** Size of the source image in pixels (after EXIF orientation). */
  imageSize?: { width: number; height: number };
  /**
   * The region of the source image that the patch grid covers, in source pixels (a centre crop covers
   * less than the whole image). Overlays draw the grid over this rectangle.
   */
  region?: { x: number; y: number; width: number; height: number };
  /** Things the user should know about this result (e.g. "animated GIF: first frame used"). */
  notes?: string[];
}

/** A per-patch scalar map (e.g. similarity of every visual token to one word). Row-major. */
export interface PatchScalarMap {
  grid: { rows: number; cols: number };
  values: number[];
  label: string;
}
