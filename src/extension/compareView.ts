// Compare Adapters: one image through two adapters of the pack; the engine computes both token maps, the
// patches whose top word changed and the agreement.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CompareResult } from '../shared/engineProtocol';
import type { FromWebview, PersistedViewState, ToWebview } from '../shared/webviewProtocol';
import { LensView, type ViewDeps } from './lensView';
import { csvField, tokenPlaceFields } from './exportTokenMap';
import { sameGeometry } from '../shared/tokenMap';
import * as settings from './settings';
import { adapterChoices } from './training/adapterChoicesHost';
import { compareChoices } from './training/compareChoices';
import { defaultAdapterChoice, findAdapterChoice } from '../training/adapterChoices';
import { checkPickedImage, pickCompareImage, trackCompareView } from './training/compareImagePicker';
import type { CandidateInput } from './training/compareImageCandidates';

export const COMPARE_VIEW_TYPE = 'seaLens.compare';

export class CompareView extends LensView {
  private a: string | undefined;
  private b: string | undefined;
  private last: CompareResult | undefined;

  constructor(panel: vscode.WebviewPanel, image: vscode.Uri, deps: ViewDeps, state: Partial<PersistedViewState> = {}) {
    super(panel, image, deps, 'compare', { ...state, view: 'compare', image: image.toString() });
    this.a = state.adapter;
    this.b = state.adapterB;
    trackCompareView(this);
  }

  /** The image picker's choices besides the workspace's images; a training run's view adds its own. */
  protected pickerInput(): Omit<CandidateInput, 'workspaceImages'> {
    return { current: this.image.fsPath };
  }

  /** "Choose Image…" (editor title bar): the same two adapters on another image, in this panel. */
  async chooseImage(): Promise<void> {
    const uri = await pickCompareImage(this.pickerInput(), vscode.l10n.t('Compare {0} and {1} on which image?', this.a ?? 'A', this.b ?? 'B'));
    if (!uri || uri.toString() === this.image.toString() || !checkPickedImage(uri)) return;
    this.last = undefined;
    this.showImage(uri, { view: 'compare', image: uri.toString(), adapter: this.a, adapterB: this.b });
    this.retitle(uri);
  }

  /** The panel title names the image (a Before/After panel keeps its run id: see runCompare.ts). */
  protected retitle(image: vscode.Uri): void {
    this.panel.title = vscode.l10n.t('Compare adapters: {0}', path.basename(image.fsPath));
  }

  protected async compute(token: vscode.CancellationToken, imageUrl: string, note: string | undefined): Promise<ToWebview> {
    const pack = await this.packInfo(token);
    // the pack's own adapters and its finished training runs' (each in the run's overlay pack)
    const choices = adapterChoices(pack);
    const names = choices.map((x) => x.label);
    if (names.length < 2) {
      throw new settings.SettingsError(
        vscode.l10n.t('The pack "{0}" has one adapter ({1}); comparing needs two.', pack.info.name, names.join(', ')),
        vscode.l10n.t('Add a second adapter to the pack manifest, train one ("SEA Lens: Train SEA Adapter…"), or select a pack with several adapters.'),
        'seaLens.pack',
      );
    }
    const a = findAdapterChoice(choices, this.a) ?? defaultAdapterChoice(choices)!;
    const found = findAdapterChoice(choices, this.b);
    const b = found && found.label !== a.label ? found : choices.find((x) => x.label !== a.label)!;
    for (const c of [a, b]) if (c.pack !== pack.dir) settings.assertTrustedPack(c.pack);
    const topK = settings.topK();
    const common = { image: this.image.fsPath, topK, device: settings.device(), filters: await settings.filters(), viewId: this.viewId };
    const result = await compareChoices(this.deps.engine, a, b, common, token);
    if (!sameGeometry(result.a, result.b)) {
      throw new settings.SettingsError(
        vscode.l10n.t('Adapters "{0}" and "{1}" place the visual tokens of this image differently ({2} vs {3} tokens), so they cannot be compared token by token.', a.label, b.label, result.a.patches.length, result.b.patches.length),
        vscode.l10n.t('Compare two adapters of the same model (same vision encoder and image processor).'),
        'seaLens.pack',
      );
    }
    if (note) result.a.notes = [...(result.a.notes ?? []), note];
    this.a = a.label;
    this.b = b.label;
    this.last = result;
    return { kind: 'compare', payload: { result, imageUrl, adapters: names, adapterA: a.label, adapterB: b.label, topK } };
  }

  protected onViewMessage(msg: FromWebview): void {
    if (msg.kind === 'setCompareAdapters') {
      this.a = msg.adapterA;
      this.b = msg.adapterB;
      void this.refresh();
    }
  }

  protected exportData(format: 'json' | 'csv'): string | undefined {
    const r = this.last;
    if (!r) return undefined;
    if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
    // Token, row and column are 1-based; boxes in the original image's pixels (as in the explain CSV).
    const lines = [`token (1-based),view,kind,row (1-based),col (1-based),box x (px),box y (px),box w (px),box h (px),${csvField(`top_${r.a.adapter}`)},score_a,${csvField(`top_${r.b.adapter}`)},score_b,changed`];
    r.a.patches.forEach((p, i) => {
      const wa = p.words[0];
      const wb = r.b.patches[i]?.words[0];
      lines.push([...tokenPlaceFields(r.a, i), csvField(wa?.word ?? ''), wa?.score?.toFixed(6) ?? '', csvField(wb?.word ?? ''), wb?.score?.toFixed(6) ?? '', r.changed[i] ? 1 : 0].join(','));
    });
    return lines.join('\r\n') + '\r\n';
  }

  protected exportBaseName(): string {
    return `${path.parse(this.image.fsPath).name}.${this.last?.a.adapter ?? this.a}-vs-${this.last?.b.adapter ?? this.b}`;
  }
}
