// Completion in sealens-cell cells: command names with their synopsis, argument keywords, option names,
// adapter names read from the pack (through the engine) and from its training runs, and file or folder
// paths relative to the notebook's folder or, after `demo:`, in the installed demo folder.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PackInfo } from '../../shared/engineProtocol';
import { isImageFileName } from '../../shared/mediaLimits';
import { COMMANDS, type ArgKind } from '../../notebook/cellCommands';
import { DEMO_PREFIX } from '../../notebook/resolveCellPath';
import { placeAt } from './cellLanguageHelp';
import { notebookBaseDir } from './notebookEngine';
import { adapterChoices } from '../training/adapterChoicesHost';


export class CellCompletionProvider implements vscode.CompletionItemProvider {
  constructor(private readonly packInfo: () => Promise<PackInfo | undefined>, private readonly demoDir?: string) {}

  async provideCompletionItems(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.CompletionItem[]> {
    const place = placeAt(doc.lineAt(pos.line).text, pos.line, pos.character);
    switch (place.kind) {
      case 'command':
        return COMMANDS.map((c) => {
          const item = new vscode.CompletionItem(c.name, vscode.CompletionItemKind.Keyword);
          item.detail = c.synopsis;
          item.documentation = new vscode.MarkdownString(c.doc);
          return item;
        });
      case 'arg':
        if (place.arg.kind === 'keyword') return [new vscode.CompletionItem(place.arg.literal!, vscode.CompletionItemKind.Keyword)];
        if (place.arg.kind === 'adapter') return this.adapters(doc, pos);
        if (place.arg.kind === 'word') return [];
        return paths(doc, place.prefix, place.arg.kind, this.demoDir, new vscode.Range(pos.line, place.token?.start ?? pos.character, pos.line, pos.character));
      case 'optionValue':
        return place.option.kind === 'adapter' ? this.adapters(doc, pos) : [];
      case 'free':
        return place.spec.options.map((o) => {
          const item = new vscode.CompletionItem(`${o.name}=`, vscode.CompletionItemKind.Property);
          item.documentation = o.doc;
          item.command = { command: 'editor.action.triggerSuggest', title: '' };
          return item;
        });
      default:
        return [];
    }
  }

  private async adapters(doc: vscode.TextDocument, pos: vscode.Position): Promise<vscode.CompletionItem[]> {
    const info = await this.packInfo().catch(() => undefined);
    if (!info) return [];
    // the pack's own adapters, then its finished training runs' (the same list as every adapter picker)
    return adapterChoices({ info, dir: info.dir }).map((c, i) => {
      const item = new vscode.CompletionItem({ label: c.run ? c.adapter : c.label, description: c.run ? c.label : undefined }, vscode.CompletionItemKind.EnumMember);
      item.detail = c.run ? vscode.l10n.t('adapter of training run {0}', c.run.id) : c.isDefault ? vscode.l10n.t('adapter (default)') : vscode.l10n.t('adapter');
      item.documentation = c.description;
      item.sortText = String(i).padStart(4, '0');
      item.filterText = c.run ? `${c.adapter} ${c.label}` : c.label;
      // A cell reaches a run's adapter through the run's overlay pack: a `pack` line above this one says so.
      if (c.run) {
        const line = packLine(doc, c.pack);
        item.insertText = c.adapter;
        if (!doc.getText().split(/\r?\n/).some((l) => l.trim() === line)) {
          item.additionalTextEdits = [vscode.TextEdit.insert(new vscode.Position(pos.line, 0), `${line}\n`)];
          item.documentation = new vscode.MarkdownString(vscode.l10n.t('Adds the line `{0}` above: the trained adapter lives in the run\'s pack overlay, beside the pack\'s own adapters.', line));
        }
      }
      return item;
    });
  }
}

/** `pack <dir>` for a run's overlay, relative to the notebook's folder (quoted if it holds spaces). */
function packLine(doc: vscode.TextDocument, dir: string): string {
  const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === doc));
  const base = notebook ? notebookBaseDir(notebook) : path.dirname(doc.uri.fsPath);
  const rel = path.relative(base, dir).split(path.sep).join('/') || '.';
  return `pack ${/[\s"]/.test(rel) ? JSON.stringify(rel) : rel}`;
}

async function paths(doc: vscode.TextDocument, prefix: string, kind: ArgKind, demoDir: string | undefined, typed: vscode.Range): Promise<vscode.CompletionItem[]> {
  // `demo:…` lists the installed demo folder; its items replace the whole typed path, prefix included.
  if (demoDir && prefix.startsWith(DEMO_PREFIX)) {
    const rest = prefix.slice(DEMO_PREFIX.length);
    const dirPart = rest.includes('/') ? rest.slice(0, rest.lastIndexOf('/') + 1) : '';
    const entries = await fs.readdir(path.resolve(demoDir, dirPart), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (kind === 'image' && isImageFileName(e.name))))
      .slice(0, 500)
      .map((e) => {
        const text = `${DEMO_PREFIX}${dirPart}${e.name}${e.isDirectory() && kind !== 'dir' ? '/' : ''}`;
        const item = new vscode.CompletionItem(text, e.isDirectory() ? vscode.CompletionItemKind.Folder : vscode.CompletionItemKind.File);
        item.range = typed;
        if (e.isDirectory() && kind === 'image') item.command = { command: 'editor.action.triggerSuggest', title: '' };
        return item;
      });
  }
  const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === doc));
  const base = notebook ? notebookBaseDir(notebook) : path.dirname(doc.uri.fsPath);
  const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
  const entries = await fs.readdir(path.resolve(base, dirPart), { withFileTypes: true }).catch(() => []);
  const demo = demoDir && prefix === '' ? [demoItem(kind)] : [];
  return demo.concat(entries
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || (kind === 'image' && isImageFileName(e.name))))
    .slice(0, 500)
    .map((e) => {
      const item = new vscode.CompletionItem(e.name + (e.isDirectory() ? '/' : ''), e.isDirectory() ? vscode.CompletionItemKind.Folder : vscode.CompletionItemKind.File);
      item.insertText = e.name + (e.isDirectory() ? '/' : '');
      if (e.isDirectory() && kind === 'image') item.command = { command: 'editor.action.triggerSuggest', title: '' };
      return item;
    }));
}

function demoItem(kind: ArgKind): vscode.CompletionItem {
  const item = new vscode.CompletionItem(kind === 'dir' ? `${DEMO_PREFIX}demo-pack` : `${DEMO_PREFIX}samples/`, vscode.CompletionItemKind.Module);
  item.detail = vscode.l10n.t('installed with SEA Lens');
  item.documentation = vscode.l10n.t('demo: paths name the sample images and the demo pack installed with SEA Lens, so the notebook runs on any machine.');
  if (kind !== 'dir') item.command = { command: 'editor.action.triggerSuggest', title: '' };
  return item;
}
