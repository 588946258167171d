// Image formats SEA Lens explains, and which of them Chromium (the webview) can display directly.

import * as path from 'node:path';
import { IMAGE_EXTENSIONS } from '../shared/mediaLimits';

export { IMAGE_EXTENSIONS };

/** Chromium cannot draw TIFF: the view shows a PNG preview made by sharp instead. */
const NOT_DISPLAYABLE = new Set(['tif', 'tiff']);

export function imageExtension(file: string): string {
  return path.extname(file).slice(1).toLowerCase();
}

export function isSupportedImage(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(imageExtension(file));
}

export function needsPreview(file: string): boolean {
  return NOT_DISPLAYABLE.has(imageExtension(file));
}
