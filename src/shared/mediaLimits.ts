// The one table of what SEA Lens reads: image formats (what sharp, the engine's decoder, decodes) and the
// size limits on every input. Every list of image extensions and every ceiling in the code, the package
// manifest (menus, custom editor) and the Python trainer follow this table; test/unit/mediaLimits.test.ts
// checks the copies that cannot import it (package.json, python/sealens/runner/dataset.py).

/** Formats sharp's prebuilt libvips decodes. BMP is not one of them (libvips has no BMP loader). */
export const IMAGE_FORMATS = [
  { format: 'png', extensions: ['png'], mime: 'image/png' },
  { format: 'jpeg', extensions: ['jpg', 'jpeg'], mime: 'image/jpeg' },
  { format: 'webp', extensions: ['webp'], mime: 'image/webp' },
  { format: 'gif', extensions: ['gif'], mime: 'image/gif' },
  { format: 'tiff', extensions: ['tif', 'tiff'], mime: 'image/tiff' },
  { format: 'avif', extensions: ['avif'], mime: 'image/avif' },
] as const;

export type ImageFormat = (typeof IMAGE_FORMATS)[number]['format'];

/** Lower-case file extensions without the dot: png, jpg, jpeg, webp, gif, tif, tiff, avif. */
export const IMAGE_EXTENSIONS: readonly string[] = IMAGE_FORMATS.flatMap((f) => f.extensions);

/** Matches an image file name's extension (case-insensitive); `name.replace(IMAGE_EXTENSION_RE, '')` is the stem. */
export const IMAGE_EXTENSION_RE = new RegExp(`\\.(${IMAGE_EXTENSIONS.join('|')})$`, 'i');

export function isImageFileName(name: string): boolean {
  return IMAGE_EXTENSION_RE.test(name);
}

/** The extensions as the user reads them: ".png, .jpg, …". */
export const IMAGE_EXTENSION_LIST = IMAGE_EXTENSIONS.map((e) => `.${e}`).join(', ');

export const LIMITS = {
  /** Words kept per visual token: the settings, the webview, the notebook `topk`, the CLI and the engine. */
  topK: { min: 1, max: 50, default: 5 },
  /**
   * Decompression-bomb guard, on the decoded image AND on the preprocessor's resize target: a 1×100000
   * PNG is small, but resized to a 224-pixel shortest edge it would be 224×22,400,000.
   * 100 M pixels is 300 MB of 8-bit RGB.
   */
  maxPixels: 100_000_000,
  /** Image files larger than this are refused before they are read. */
  maxImageBytes: 512 * 1024 * 1024,
  /** A patch grid (TokenMap `grid`): each side and the number of cells (tokenMap.ts's upgrade uses the same). */
  maxGridSide: 4096,
  maxGridCells: 65_536,
  /** Visual tokens in one TokenMap (patches.length), with or without a grid. */
  maxTokens: 65_536,
  /** A .sealens notebook file (outputs carry downscaled images as data URIs). */
  maxNotebookBytes: 64 * 1024 * 1024,
} as const;
