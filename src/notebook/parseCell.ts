// Parser of the sealens-cell language: one command per line, `#` starts a comment, words in double
// quotes may hold spaces, options are `name=value`. Every error carries its line and columns, so the
// editor can underline it and the runner can say where a cell went wrong.

import { COMMANDS, findCommand, type CommandName, type CommandSpec } from './cellCommands';
import { closestName } from './closestName';

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
  /** A replacement of the error's span that fixes it (the editor offers it as a quick fix). */
  fix?: CellFix;
}

export interface CellFix {
  /** What the quick fix says it does, e.g. `Change to "explain"`. */
  title: string;
  /** The text that replaces the span. */
  text: string;
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
    errors.push(...result.errors);
    if (result.command) commands.push(result.command);
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

function parseCommand(tokens: Token[], text: string, line: number): { command?: ParsedCommand; errors: CellError[] } {
  const [head, ...rest] = tokens;
  const spec = findCommand(head.value);
  if (!spec || head.quoted || head.option) {
    // Without a known command the rest of the line has no meaning to check; one problem is all there is.
    const near = closestName(head.value, COMMANDS.map((c) => c.name));
    return {
      errors: [{
        ...span(head),
        message: `Unknown command "${head.value}".${near ? ` Did you mean "${near}"?` : ''} Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`,
        ...(near ? { fix: { title: `Change to "${near}"`, text: near } } : {}),
      }],
    };
  }
  // Every problem of the line is reported, so a user fixes a line once instead of once per problem.
  const errors: CellError[] = [];
  const positional = rest.filter((t) => !t.option);
  const optionTokens = rest.filter((t) => t.option);
  const args: Record<string, ArgValue> = {};
  for (let k = 0; k < spec.args.length; k++) {
    const arg = spec.args[k];
    const tok = positional[k];
    if (!tok) {
      // Only the first missing argument: the later ones are missing because of it.
      const at = text.trimEnd().length;
      errors.push({ line, start: at, end: at + 1, message: `${spec.name}: missing <${arg.name}>. Usage: ${spec.synopsis}` });
      break;
    }
    if (arg.kind === 'keyword') {
      if (tok.value !== arg.literal || tok.quoted) {
        errors.push({ ...span(tok), message: `${spec.name}: expected the keyword "${arg.literal}" here, found "${tok.value}". Usage: ${spec.synopsis}`, fix: { title: `Change to "${arg.literal}"`, text: arg.literal! } });
      }
    } else if (arg.kind === 'word' && !tok.quoted) {
      const quoted = `"${tok.value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
      errors.push({ ...span(tok), message: `${spec.name}: put the word in double quotes, e.g. "${tok.value}". Usage: ${spec.synopsis}`, fix: { title: `Quote as ${quoted}`, text: quoted } });
    } else if (tok.value === '') {
      errors.push({ ...span(tok), message: `${spec.name}: <${arg.name}> is empty. Usage: ${spec.synopsis}` });
    }
    args[arg.name] = { ...span(tok), value: tok.value };
  }
  for (const extra of positional.slice(spec.args.length)) {
    errors.push({ ...span(extra), message: `${spec.name}: unexpected "${extra.value}" (it takes ${spec.args.length} argument${spec.args.length === 1 ? '' : 's'}). Usage: ${spec.synopsis}` });
  }
  const options: Record<string, OptionValue> = {};
  for (const tok of optionTokens) {
    const parsed = parseOption(spec, tok);
    if ('message' in parsed) errors.push(parsed);
    else options[tok.option!.name] = parsed;
  }
  if (errors.length) return { errors };
  return { command: { line, start: head.start, end: tokens[tokens.length - 1].end, name: spec.name, args, options }, errors };
}

function parseOption(spec: CommandSpec, tok: Token): OptionValue | CellError {
  const name = tok.option!.name;
  const opt = spec.options.find((o) => o.name === name);
  const nameSpan = { line: tok.line, start: tok.start, end: tok.option!.valueStart - 1 };
  if (!opt) {
    const known = spec.options.map((o) => o.name);
    const near = closestName(name, known);
    return {
      ...nameSpan,
      message: `${spec.name}: unknown option "${name}".${near ? ` Did you mean "${near}"?` : ''} ${known.length ? `Options: ${known.join(', ')}.` : 'It takes no options.'}`,
      ...(near ? { fix: { title: `Change to "${near}"`, text: near } } : {}),
    };
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
