// Parser of the sealens-cell language: one command per line, `#` starts a comment, words in double
// quotes may hold spaces, options are `name=value`. Every error carries its line and columns, so the
// editor can underline it and the runner can say where a cell went wrong.

import { COMMANDS, findCommand, type CommandName, type CommandSpec } from './cellCommands';

/** Zero-based line; columns are zero-based, `end` exclusive. */
export interface Span {
  line: number;
  start: number;
  end: number;
}

export interface Token extends Span {
  /** The token with quotes and escapes resolved. */
  value: string;
  quoted: boolean;
  /** For `name=value` tokens: the option name and where its value starts. */
  option?: { name: string; valueStart: number };
}

export interface CellError extends Span {
  message: string;
}

export interface ArgValue extends Span {
  value: string;
}

export interface OptionValue extends Span {
  value: string | number;
}

export interface ParsedCommand extends Span {
  name: CommandName;
  args: Record<string, ArgValue>;
  options: Record<string, OptionValue>;
}

export interface ParsedCell {
  commands: ParsedCommand[];
  errors: CellError[];
}

/** "line 2, column 9" — one-based, as editors show positions. */
export function formatPosition(span: Pick<Span, 'line' | 'start'>): string {
  return `line ${span.line + 1}, column ${span.start + 1}`;
}

export function parseCell(source: string): ParsedCell {
  const commands: ParsedCommand[] = [];
  const errors: CellError[] = [];
  source.split(/\r?\n/).forEach((text, line) => {
    const { tokens, error } = tokenizeLine(text, line);
    if (error) {
      errors.push(error);
      return;
    }
    if (tokens.length === 0) return;
    const result = parseCommand(tokens, text, line);
    if ('message' in result) errors.push(result);
    else commands.push(result);
  });
  return { commands, errors };
}

/** Splits one line into tokens, dropping a trailing `#` comment (a `#` inside quotes is text). */
export function tokenizeLine(text: string, line: number): { tokens: Token[]; error?: CellError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '#') break;
    const start = i;
    let value = '';
    let quoted = false;
    let option: Token['option'];
    // A token runs to the next unquoted blank or comment; quotes may open at its start or after `=`.
    while (i < text.length && text[i] !== ' ' && text[i] !== '\t' && text[i] !== '#') {
      if (text[i] === '"') {
        const close = readQuoted(text, i);
        if (close === null) return { tokens, error: { line, start: i, end: text.length, message: 'Unterminated string: add the closing double quote (").' } };
        value += close.value;
        quoted = true;
        i = close.end;
        continue;
      }
      if (text[i] === '=' && option === undefined && !quoted && value.length > 0) option = { name: value, valueStart: i + 1 };
      value += text[i];
      i++;
    }
    if (option) value = value.slice(option.name.length + 1);
    tokens.push({ line, start, end: i, value, quoted, option });
  }
  return { tokens };
}

function readQuoted(text: string, open: number): { value: string; end: number } | null {
  let value = '';
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      value += text[++i];
    } else if (text[i] === '"') {
      return { value, end: i + 1 };
    } else {
      value += text[i];
    }
  }
  return null;
}

function parseCommand(tokens: Token[], text: string, line: number): ParsedCommand | CellError {
  const [head, ...rest] = tokens;
  const spec = findCommand(head.value);
  if (!spec || head.quoted || head.option) {
    const near = suggest(head.value);
    return {
      ...span(head),
      message: `Unknown command "${head.value}".${near ? ` Did you mean "${near}"?` : ''} Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`,
    };
  }
  const positional = rest.filter((t) => !t.option);
  const optionTokens = rest.filter((t) => t.option);
  const args: Record<string, ArgValue> = {};
  for (let k = 0; k < spec.args.length; k++) {
    const arg = spec.args[k];
    const tok = positional[k];
    if (!tok) {
      const at = text.trimEnd().length;
      return { line, start: at, end: at + 1, message: `${spec.name}: missing <${arg.name}>. Usage: ${spec.synopsis}` };
    }
    if (arg.kind === 'keyword') {
      if (tok.value !== arg.literal || tok.quoted) return { ...span(tok), message: `${spec.name}: expected the keyword "${arg.literal}" here, found "${tok.value}". Usage: ${spec.synopsis}` };
    } else if (arg.kind === 'word' && !tok.quoted) {
      return { ...span(tok), message: `${spec.name}: put the word in double quotes, e.g. "${tok.value}". Usage: ${spec.synopsis}` };
    } else if (tok.value === '') {
      return { ...span(tok), message: `${spec.name}: <${arg.name}> is empty. Usage: ${spec.synopsis}` };
    }
    args[arg.name] = { ...span(tok), value: tok.value };
  }
  if (positional.length > spec.args.length) {
    const extra = positional[spec.args.length];
    return { ...span(extra), message: `${spec.name}: unexpected "${extra.value}" (it takes ${spec.args.length} argument${spec.args.length === 1 ? '' : 's'}). Usage: ${spec.synopsis}` };
  }
  const options: Record<string, OptionValue> = {};
  for (const tok of optionTokens) {
    const parsed = parseOption(spec, tok);
    if ('message' in parsed) return parsed;
    options[tok.option!.name] = parsed;
  }
  return { line, start: head.start, end: tokens[tokens.length - 1].end, name: spec.name, args, options };
}

function parseOption(spec: CommandSpec, tok: Token): OptionValue | CellError {
  const name = tok.option!.name;
  const opt = spec.options.find((o) => o.name === name);
  const nameSpan = { line: tok.line, start: tok.start, end: tok.option!.valueStart - 1 };
  if (!opt) {
    const known = spec.options.map((o) => o.name);
    return { ...nameSpan, message: `${spec.name}: unknown option "${name}". ${known.length ? `Options: ${known.join(', ')}.` : 'It takes no options.'}` };
  }
  const valueSpan = { line: tok.line, start: tok.option!.valueStart, end: tok.end };
  if (tok.value === '') return { ...valueSpan, start: nameSpan.start, message: `${spec.name}: option ${name}= needs a value.` };
  if (opt.kind === 'int') {
    const n = /^-?\d+$/.test(tok.value) ? Number(tok.value) : NaN;
    if (!Number.isSafeInteger(n) || (opt.min !== undefined && n < opt.min) || (opt.max !== undefined && n > opt.max)) {
      return { ...valueSpan, message: `${spec.name}: ${name} must be a whole number from ${opt.min} to ${opt.max}, found "${tok.value}".` };
    }
    return { ...valueSpan, value: n };
  }
  return { ...valueSpan, value: tok.value };
}

function span(t: Span): Span {
  return { line: t.line, start: t.start, end: t.end };
}

/** The closest command name within two edits, for "did you mean". */
function suggest(word: string): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const c of COMMANDS) {
    const d = editDistance(word.toLowerCase(), c.name);
    if (d < bestDist) [best, bestDist] = [c.name, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
