// Hover help in sealens-cell cells: the command's synopsis and purpose, or what an argument or option is.

import * as vscode from 'vscode';
import { findCommand } from '../../notebook/cellCommands';
import { placeAt } from './cellLanguageHelp';

export class CellHoverProvider implements vscode.HoverProvider {
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const place = placeAt(doc.lineAt(pos.line).text, pos.line, pos.character);
    const md = new vscode.MarkdownString();
    if (place.kind === 'command' && place.token) {
      const spec = findCommand(place.token.value);
      if (!spec) return undefined;
      md.appendCodeblock(spec.synopsis, 'sealens-cell').appendMarkdown(spec.doc);
    } else if (place.kind === 'arg' && place.token) {
      md.appendCodeblock(place.spec.synopsis, 'sealens-cell').appendMarkdown(`**<${place.arg.name}>** — ${place.arg.doc}`);
    } else if (place.kind === 'optionValue' || (place.kind === 'free' && place.token?.option)) {
      const name = place.kind === 'optionValue' ? place.option.name : place.token!.option!.name;
      const opt = place.spec.options.find((o) => o.name === name);
      if (!opt) return undefined;
      md.appendCodeblock(place.spec.synopsis, 'sealens-cell').appendMarkdown(`**${opt.name}=** — ${opt.doc}`);
    } else {
      return undefined;
    }
    const t = 'token' in place ? place.token : undefined;
    return new vscode.Hover(md, t ? new vscode.Range(pos.line, t.start, pos.line, t.end) : undefined);
  }
}
