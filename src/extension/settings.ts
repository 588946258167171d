// The `seaLens.*` settings, read in one place and turned into engine parameters. The pack setting is a
// path: empty means the demo pack shipped inside the extension; relative paths resolve against the first
// workspace folder. Workspace trust decides whether a pack from the workspace may be loaded at all.

import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { DEVICE_CHOICES, type DeviceChoice } from '../shared/tokenMap';
import type { VocabularyFilters } from '../shared/engineProtocol';
import { MAX_TOP_K } from '../shared/webviewProtocol';

export interface ResolvedPack {
  /** Absolute folder of the pack. */
  dir: string;
  /** True for the demo pack inside the extension (always allowed, also in untrusted workspaces). */
  embedded: boolean;
}

export class SettingsError extends Error {
  constructor(message: string, readonly fix: string, readonly setting?: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('seaLens');

export function embeddedPackDir(extensionUri: vscode.Uri): string {
  return vscode.Uri.joinPath(extensionUri, 'media', 'demo-pack').fsPath;
}

/** Is `child` the folder `parent` or inside it (after resolving `..`)? */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function resolvePack(extensionUri: vscode.Uri): ResolvedPack {
  const setting = config().get<string>('pack', '').trim();
  if (!setting) return { dir: embeddedPackDir(extensionUri), embedded: true };
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!path.isAbsolute(setting) && !base) {
    throw new SettingsError(
      vscode.l10n.t('The seaLens.pack setting "{0}" is a relative path, but no folder is open to resolve it against.', setting),
      vscode.l10n.t('Set seaLens.pack to an absolute folder, or run "SEA Lens: Select Model Pack…".'),
      'seaLens.pack',
    );
  }
  const dir = path.resolve(base ?? '', setting);
  assertTrustedPack(dir);
  // A pack made by `pack init` reads its embedding table from the checkpoint folder: that folder must pass too.
  const checkpoint = packCheckpoint(dir);
  if (checkpoint) assertTrustedPack(checkpoint);
  return { dir, embedded: false };
}

/** The checkpoint folder a `pack init` manifest reads tensors from (absolute), if any; the engine validates the rest. */
function packCheckpoint(dir: string): string | undefined {
  try {
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { model?: { checkpoint?: unknown } };
    return typeof m.model?.checkpoint === 'string' ? path.resolve(dir, m.model.checkpoint) : undefined;
  } catch {
    return undefined;
  }
}

/** In an untrusted workspace a pack inside the workspace is refused: its ONNX graphs are untrusted input. */
export function assertTrustedPack(dir: string): void {
  if (vscode.workspace.isTrusted) return;
  const inWorkspace = (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'file' && isInside(dir, f.uri.fsPath));
  if (inWorkspace) {
    throw new SettingsError(
      vscode.l10n.t('SEA Lens does not load the model pack "{0}" because it lies in this untrusted workspace.', dir),
      vscode.l10n.t('Trust the workspace (Workspaces: Manage Workspace Trust) or use the embedded demo pack (clear seaLens.pack).'),
      'seaLens.pack',
    );
  }
}

export function topK(): number {
  const k = config().get<number>('topK', 5);
  return Number.isInteger(k) && k >= 1 && k <= MAX_TOP_K ? k : 5;
}

export function device(): DeviceChoice {
  const d = config().get<string>('device', 'auto');
  return (DEVICE_CHOICES as readonly string[]).includes(d) ? (d as DeviceChoice) : 'auto';
}

export function adapterSetting(): string | undefined {
  return config().get<string>('adapter', '').trim() || undefined;
}

/** Vocabulary filters; the word-list file (one word a line) is read here so the engine gets plain data. */
export async function filters(): Promise<VocabularyFilters> {
  const c = config();
  // Only the filters the user set: the rest keep the pack's own defaults (manifest /filters), then the engine's.
  const f: VocabularyFilters = {};
  for (const k of ['special', 'bytes', 'punctuation', 'subwords', 'stopwords'] as const) {
    const i = c.inspect<boolean>(`filters.${k}`);
    const set = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    if (typeof set === 'boolean') f[k] = set;
  }
  const file = c.get<string>('filters.wordList', '').trim();
  if (file) {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const abs = path.resolve(base, file);
    if (!vscode.workspace.isTrusted && (vscode.workspace.workspaceFolders ?? []).some((w) => isInside(abs, w.uri.fsPath))) {
      throw new SettingsError(vscode.l10n.t('The word list "{0}" lies in this untrusted workspace.', abs), vscode.l10n.t('Trust the workspace or clear seaLens.filters.wordList.'), 'seaLens.filters.wordList');
    }
    let text: string;
    try {
      text = await fs.readFile(abs, 'utf8');
    } catch (e) {
      throw new SettingsError(
        vscode.l10n.t('Cannot read the word list "{0}" named by seaLens.filters.wordList: {1}', abs, (e as Error).message),
        vscode.l10n.t('Point seaLens.filters.wordList at a UTF-8 text file with one word a line, or clear the setting.'),
        'seaLens.filters.wordList',
      );
    }
    const words = text.split(/\r?\n/).map((w) => w.trim()).filter((w) => w.length > 0 && !w.startsWith('#'));
    if (words.length === 0) {
      throw new SettingsError(vscode.l10n.t('The word list "{0}" has no words.', abs), vscode.l10n.t('Add one word a line, or clear seaLens.filters.wordList.'), 'seaLens.filters.wordList');
    }
    f.wordList = words;
  }
  return f;
}
