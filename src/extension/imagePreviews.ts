// PNG previews for images Chromium cannot display (TIFF). sharp converts them in the extension host's
// libuv pool (no inference happens here); previews live under globalStorageUri, never in the install
// folder, keyed by path and modification time so an edited file gets a fresh preview.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { needsPreview } from './imageTypes';

export class ImagePreviews {
  constructor(private readonly storage: vscode.Uri) {}

  get folder(): vscode.Uri {
    return vscode.Uri.joinPath(this.storage, 'previews');
  }

  /** The URI to display: the image itself, or a PNG preview; `note` explains a substitution. */
  async displayable(image: vscode.Uri): Promise<{ uri: vscode.Uri; note?: string }> {
    if (!needsPreview(image.fsPath)) return { uri: image };
    const stat = await fs.stat(image.fsPath);
    const key = createHash('sha256').update(`${image.fsPath}\0${stat.mtimeMs}\0${stat.size}`).digest('hex').slice(0, 24);
    const out = vscode.Uri.joinPath(this.folder, `${key}.png`);
    try {
      await fs.access(out.fsPath);
      return { uri: out, note: vscode.l10n.t('TIFF shown through a PNG preview (webviews cannot display TIFF).') };
    } catch {
      // not cached yet
    }
    try {
      const sharp = (await import('sharp')).default;
      await fs.mkdir(path.dirname(out.fsPath), { recursive: true });
      await sharp(image.fsPath, { pages: 1 }).rotate().png().toFile(out.fsPath);
      return { uri: out, note: vscode.l10n.t('TIFF shown through a PNG preview (webviews cannot display TIFF).') };
    } catch (e) {
      throw new Error(vscode.l10n.t('Cannot make a PNG preview of the TIFF image {0}: {1}. Convert it to PNG to view it.', image.fsPath, (e as Error).message));
    }
  }
}
