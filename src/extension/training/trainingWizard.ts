// The guided quick picks of "Train SEA Adapter…": pack, dataset, starting adapter, λ, epochs, learning
// rate, batch size, device, output name — each with a good default (LLaVA-1.5 recipe values, λ = 1) and
// validated with the same rules as the config file. "Rerun Training…" opens the same steps prefilled
// with the earlier run's config (each value pre-selected, Enter keeps it), so a rerun can be changed first.

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { wizardDefaults } from '../../training/wizardDefaults';
import { embeddedPackDir } from '../settings';
import { validateRunConfig } from '../../training/runConfig';
import { RUN_CONFIG_DEFAULTS, TRAIN_DEVICES, type RunConfig, type TrainDevice } from '../../shared/trainingProtocol';

async function pickFolderOrFile(title: string, folders: boolean, filters?: Record<string, string[]>): Promise<string | undefined> {
  const r = await vscode.window.showOpenDialog({ title, canSelectFolders: folders, canSelectFiles: !folders, canSelectMany: false, filters, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
  return r?.[0]?.fsPath;
}

async function askPack(extensionUri: vscode.Uri, prev?: string): Promise<string | undefined> {
  const items: (vscode.QuickPickItem & { dir?: string })[] = [];
  if (prev) items.push({ label: vscode.l10n.t('$(history) Pack of the earlier run'), description: prev, dir: prev });
  const demo = embeddedPackDir(extensionUri);
  if (existsSync(path.join(demo, 'manifest.json'))) items.push({ label: vscode.l10n.t('$(package) Embedded demo pack'), description: demo, dir: demo });
  const setting = vscode.workspace.getConfiguration('seaLens').get<string>('pack', '').trim();
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (setting) items.push({ label: vscode.l10n.t('$(settings-gear) Pack from settings'), description: path.resolve(ws ?? '', setting), dir: path.resolve(ws ?? '', setting) });
  items.push({ label: vscode.l10n.t('$(folder-opened) Choose a pack folder…') });
  const p = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Train SEA Adapter (1/8): model pack') });
  if (!p) return undefined;
  return p.dir ?? pickFolderOrFile(vscode.l10n.t('Model pack folder (holds manifest.json)'), true);
}

async function askDataset(extensionUri: vscode.Uri, prev?: string): Promise<string | undefined> {
  const samples = vscode.Uri.joinPath(extensionUri, 'media', 'samples').fsPath;
  const items: (vscode.QuickPickItem & { id: string })[] = [];
  if (prev) items.push({ label: vscode.l10n.t('$(history) Dataset of the earlier run'), description: prev, id: 'previous' });
  if (existsSync(samples)) items.push({ label: vscode.l10n.t('$(file-media) Sample images'), description: samples, id: 'samples' });
  items.push({ label: vscode.l10n.t('$(folder-opened) Image folder…'), detail: vscode.l10n.t('captions in NAME.txt beside each image (optional)'), id: 'folder' });
  items.push({ label: vscode.l10n.t('$(json) LLaVA-style JSON list…'), detail: vscode.l10n.t('[{"image": …, "conversations" | "caption": …}]'), id: 'json' });
  const p = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Train SEA Adapter (2/8): dataset') });
  if (!p) return undefined;
  if (p.id === 'previous') return prev;
  if (p.id === 'samples') return samples;
  return p.id === 'folder' ? pickFolderOrFile(vscode.l10n.t('Folder of training images'), true) : pickFolderOrFile(vscode.l10n.t('LLaVA-style JSON list'), false, { JSON: ['json', 'jsonl'] });
}

function adapterNames(pack: string): string[] {
  try {
    const m = JSON.parse(readFileSync(path.join(pack, 'manifest.json'), 'utf8')) as { adapters?: { name?: unknown }[] };
    return (m.adapters ?? []).map((a) => a.name).filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

async function askNumber(step: string, key: keyof RunConfig, value: number, prompt: string): Promise<number | undefined> {
  const v = await vscode.window.showInputBox({
    title: step, prompt, value: String(value),
    validateInput: (s) => {
      try {
        validateRunConfig({ formatVersion: 1, pack: 'p', dataset: 'd', outputName: 'o', [key]: Number(s) }, 'input');
        return s.trim() ? undefined : prompt;
      } catch (e) {
        return (e as Error).message.replace(/^input: /, '');
      }
    },
  });
  return v === undefined ? undefined : Number(v);
}

/**
 * Validation images of a run set up here: before/after numbers on 4 images were noise (issue 15). The
 * trainer holds out at most half of a small dataset (validation.py), so the 12 samples still train on 6.
 */
export const WIZARD_VALIDATION_IMAGES = Math.max(256, RUN_CONFIG_DEFAULTS.validationImages);

/** Quick pick with one item pre-selected (the earlier run's value on a rerun). */
async function pickOne(items: string[], title: string, selected?: string): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick();
  qp.title = title;
  qp.items = items.map((label) => ({ label }));
  const active = qp.items.find((i) => i.label === selected);
  if (active) qp.activeItems = [active];
  const picked = await new Promise<string | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]?.label));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return picked;
}

/**
 * The wizard. `prev` (a rerun) prefills every step with that run's value and keeps the keys the wizard does
 * not ask about (seed, window, validation images, Slurm resources…) as they were.
 */
export async function askRunConfig(extensionUri: vscode.Uri, prev?: RunConfig): Promise<RunConfig | undefined> {
  const pack = await askPack(extensionUri, prev?.pack);
  if (!pack) return undefined;
  const dataset = await askDataset(extensionUri, prev?.dataset);
  if (!dataset) return undefined;
  const names = adapterNames(pack);
  const fresh = vscode.l10n.t('$(add) Fresh adapter (random init)');
  const start = await pickOne([...names, fresh], vscode.l10n.t('Train SEA Adapter (3/8): start from'), prev ? prev.startAdapter ?? fresh : undefined);
  if (!start) return undefined;
  const lambda = await askNumber(vscode.l10n.t('Train SEA Adapter (4/8): λ'), 'lambda', prev?.lambda ?? RUN_CONFIG_DEFAULTS.lambda, vscode.l10n.t('Weight of the SEA alignment loss: L = L_g + λ·L_a (0 = caption loss only)'));
  if (lambda === undefined) return undefined;
  const sized = wizardDefaults(dataset);   // one pass of large batches for a real dataset, more for a handful
  const epochs = await askNumber(vscode.l10n.t('Train SEA Adapter (5/8): epochs'), 'epochs', prev?.epochs ?? sized.epochs, vscode.l10n.t('Passes over the training images'));
  if (epochs === undefined) return undefined;
  const learningRate = await askNumber(vscode.l10n.t('Train SEA Adapter (6/8): learning rate'), 'learningRate', prev?.learningRate ?? RUN_CONFIG_DEFAULTS.learningRate, vscode.l10n.t('Peak AdamW learning rate (cosine schedule, 3 % warm-up)'));
  if (learningRate === undefined) return undefined;
  const batchSize = await askNumber(vscode.l10n.t('Train SEA Adapter (7/8): batch size'), 'batchSize', prev?.batchSize ?? sized.batchSize, vscode.l10n.t('Images per step (global batch)'));
  if (batchSize === undefined) return undefined;
  const device = await pickOne([...TRAIN_DEVICES], vscode.l10n.t('Train SEA Adapter (8/8): device'), prev?.device);
  if (!device) return undefined;
  const outputName = await vscode.window.showInputBox({
    title: vscode.l10n.t('Name of the trained adapter'), value: prev?.outputName ?? `sea-${start === fresh ? 'fresh' : start}`,
    validateInput: (s) => (/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(s) ? undefined : vscode.l10n.t("Letters, digits, '-', '_' or '.' only")),
  });
  if (!outputName) return undefined;
  const asked = { pack, dataset, outputName, startAdapter: start === fresh ? null : start, lambda, epochs, learningRate, batchSize, device: device as TrainDevice };
  if (prev) return { ...prev, ...asked };
  return { formatVersion: 1, ...asked, seed: 0, validationImages: WIZARD_VALIDATION_IMAGES, checkpointEvery: RUN_CONFIG_DEFAULTS.checkpointEvery };
}
