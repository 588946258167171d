// The CLI's command table: one file per command; register a new one by adding it to this list.
import type { CliCommand } from '../command';
import { datasetCommand } from './dataset';
import { demoCommand } from './demo';
import { doctorCommand } from './doctor';
import { explainCommand } from './explain';
import { gpuCommand } from './gpu';
import { inspectCommand } from './inspect';
import { notebookCommand } from './notebook';
import { packCommand } from './pack';
import { sweepCommand } from './sweep';
import { trainCommand } from './train';

export const COMMANDS: CliCommand[] = [explainCommand, demoCommand, notebookCommand, trainCommand, sweepCommand, datasetCommand, doctorCommand, gpuCommand, packCommand, inspectCommand];
