import type { Command } from 'commander';
import type { Bind } from './program.js';

export function registerExport(_program: Command, _bind: Bind): void {
  // filled in by its issue
}
