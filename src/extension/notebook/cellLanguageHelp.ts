// What the cursor is on in a sealens-cell line, shared by completion and hover: the command, which
// positional argument or option, and the text typed so far.

import { findCommand, type ArgSpec, type CommandSpec, type OptionSpec } from '../../notebook/cellCommands';
import { tokenizeLine, type Token } from '../../notebook/parseCell';

export type CursorPlace =
  | { kind: 'command'; token?: Token; prefix: string }
  | { kind: 'arg'; spec: CommandSpec; arg: ArgSpec; token?: Token; prefix: string }
  | { kind: 'optionValue'; spec: CommandSpec; option: OptionSpec; token: Token; prefix: string }
  | { kind: 'free'; spec: CommandSpec; token?: Token; prefix: string }
  | { kind: 'none' };

export function placeAt(lineText: string, line: number, character: number): CursorPlace {
  const { tokens } = tokenizeLine(lineText, line);
  const hash = commentStart(lineText);
  if (hash !== -1 && character > hash) return { kind: 'none' };
  const index = tokens.findIndex((t) => character >= t.start && character <= t.end);
  const token = index >= 0 ? tokens[index] : undefined;
  const before = token ? tokens.slice(0, index) : tokens.filter((t) => t.end < character);
  const prefix = token ? lineText.slice(token.start, character).replace(/^"/, '') : '';
  if (before.length === 0) return { kind: 'command', token, prefix };
  const spec = findCommand(before[0].value);
  if (!spec) return { kind: 'none' };
  if (token?.option) {
    if (character < token.option.valueStart) return { kind: 'free', spec, token, prefix };
    const option = spec.options.find((o) => o.name === token.option!.name);
    return option ? { kind: 'optionValue', spec, option, token, prefix: lineText.slice(token.option.valueStart, character) } : { kind: 'none' };
  }
  const position = before.slice(1).filter((t) => !t.option).length;
  const arg = spec.args[position];
  return arg ? { kind: 'arg', spec, arg, token, prefix } : { kind: 'free', spec, token, prefix };
}

function commentStart(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (text[i] === '#' && !quoted) return i;
  }
  return -1;
}
