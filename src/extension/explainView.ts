// Explain Visual Tokens for one image: used by the command's panel and by the custom editor alike.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TokenMap } from '../shared/tokenMap';
import type { FromWebview, PersistedViewState, ToWebview } from '../shared/webviewProtocol';
import { LensView, type ViewDeps } from './lensView';
import { tokenMapToCsv, tokenMapToJson } from './exportTokenMap';
import * as settings from './settings';
import { adapterChoices } from './training/adapterChoicesHost';
import { defaultAdapterChoice, findAdapterChoice } from '../training/adapterChoices';

export const EXPLAIN_VIEW_TYPE = 'seaLens.explain';

export class ExplainView extends LensView {
  private adapter: string | undefined;
  private topK: number;
  private last: TokenMap | undefined;
  /** Fired with the adapter a result was computed with (the status bar shows it). */
  static readonly onDidShowAdapter = new vscode.EventEmitter<string>();

  constructor(panel: vscode.WebviewPanel, image: vscode.Uri, deps: ViewDeps, state: Partial<PersistedViewState> = {}) {
    const initial: PersistedViewState = { ...state, view: 'explain', image: image.toString() };
    super(panel, image, deps, 'explain', initial);
    this.adapter = state.adapter;
    this.topK = state.topK ?? settings.topK();
  }

  protected async compute(token: vscode.CancellationToken, imageUrl: string, note: string | undefined): Promise<ToWebview> {
    const pack = await this.packInfo(token);
    // the pack's own adapters and those of its finished training runs (each in the run's overlay pack)
    const choices = adapterChoices(pack);
    const names = choices.map((c) => c.label);
    const wanted = this.adapter ?? settings.adapterSetting();
    const choice = findAdapterChoice(choices, wanted) ?? defaultAdapterChoice(choices)!;
    if (wanted && !findAdapterChoice(choices, wanted)) {
      this.deps.log.warn(`adapter "${wanted}" is not in pack ${pack.info.name} or its training runs (${names.join(', ')}); using ${choice.label}`);
    }
    if (choice.pack !== pack.dir) settings.assertTrustedPack(choice.pack);
    const tm = await this.deps.engine.request('engine/explain', {
      image: this.image.fsPath,
      pack: choice.pack,
      adapter: choice.adapter,
      topK: this.topK,
      device: settings.device(),
      filters: await settings.filters(),
      viewId: this.viewId,
    }, token);
    if (note) tm.notes = [...(tm.notes ?? []), note];
    this.last = tm;
    this.adapter = choice.label;
    ExplainView.onDidShowAdapter.fire(choice.label);
    this.deps.log.info(`explained ${this.image.fsPath} with ${tm.pack}/${tm.adapter} on ${tm.device} in ${Math.round(tm.timings.total ?? 0)} ms`);
    return { kind: 'explain', payload: { tokenMap: tm, imageUrl, adapters: names, adapter: choice.label, topK: this.topK } };
  }

  protected onViewMessage(msg: FromWebview): void {
    if (msg.kind === 'setAdapter') {
      this.adapter = msg.adapter;
      void this.refresh();
    } else if (msg.kind === 'setTopK') {
      this.topK = msg.topK;
      void this.refresh();
    }
  }

  /** The adapter (choice label) the view last showed or was asked for. */
  get currentAdapter(): string | undefined {
    return this.adapter;
  }

  /** Switches the adapter from outside (the Select Adapter command). */
  setAdapter(name: string): void {
    this.adapter = name;
    void this.refresh();
  }

  protected exportData(format: 'json' | 'csv'): string | undefined {
    if (!this.last) return undefined;
    return format === 'json' ? tokenMapToJson(this.last) : tokenMapToCsv(this.last);
  }

  protected exportBaseName(): string {
    return `${path.parse(this.image.fsPath).name}.${this.last?.adapter ?? 'tokens'}.tokens`;
  }
}
