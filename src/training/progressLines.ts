// Splits the trainer's stdout into JSON-lines progress events. Chunks may end mid-line; lines that are
// not JSON (a library printing to stdout) are passed on as log text instead of being dropped or crashing,
// and JSON lines that do not match schemas/training-progress.schema.json are passed on as text with the
// reason (parseProgressEvent names the event, the field and what was expected).

import { parseProgressEvent, type ProgressEvent } from '../shared/trainingProtocol';

export class ProgressLineParser {
  private buffer = '';

  constructor(private readonly onEvent: (e: ProgressEvent) => void, private readonly onText: (line: string) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
  }

  /** Call when the stream ends: a final line without newline still counts. */
  end(): void {
    if (this.buffer) this.line(this.buffer);
    this.buffer = '';
  }

  private line(line: string): void {
    if (!line.trim()) return;
    if (!line.startsWith('{')) {
      this.onText(line);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.onText(line);
      return;
    }
    try {
      this.onEvent(parseProgressEvent(raw));
    } catch (e) {
      this.onText(`[ignored malformed progress line: ${(e as Error).message}] ${line}`);
    }
  }
}

/** Parses a whole progress.jsonl (e.g. to redraw a finished run). */
export function parseProgressFile(text: string): ProgressEvent[] {
  const out: ProgressEvent[] = [];
  const p = new ProgressLineParser((e) => out.push(e), () => undefined);
  p.push(text);
  p.end();
  return out;
}
