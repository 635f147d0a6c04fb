import { NotConfirmedError } from '../errors.js';
import type { Logger } from '../output/logger.js';
import type { Prompter } from './prompter.js';

// SPEC §6: say exactly what will be destroyed; --dry-run says only that; a terminal is
// asked (default no; db reset makes the user type the database name); --yes goes ahead;
// with no one to ask and no --yes, refuse with exit 4 and name the flag.

export interface DestructivePlan {
  /** "roll back 2 migrations", "delete 35 services" */
  action: string;
  /** target name and redacted URL */
  target: { name: string; displayUrl: string; database: string };
  /** one line per thing destroyed: tables, migrations, record counts */
  details: string[];
  /** db reset: the text to type (the database name) */
  typeToConfirm?: string;
  /** the command's own flag that skips the prompt */
  yesFlag?: string;
}

export interface ConfirmOptions {
  dryRun: boolean;
  yes: boolean;
  logger: Logger;
  prompter: Prompter;
}

export type Decision = 'proceed' | 'dry-run' | 'nothing-to-do';

export async function confirmDestructive(plan: DestructivePlan, opts: ConfirmOptions): Promise<Decision> {
  const { logger, prompter } = opts;
  const where = plan.target.name === plan.target.displayUrl ? plan.target.displayUrl : `${plan.target.name} (${plan.target.displayUrl})`;
  const header = `${opts.dryRun ? 'Would' : 'About to'} ${plan.action} on target ${where}`;
  logger.info(`${header}${plan.details.length ? ':' : '.'}`);
  for (const d of plan.details) logger.info(`  ${d}`);
  if (opts.dryRun) {
    logger.info('Dry run: nothing was changed.');
    return 'dry-run';
  }
  if (opts.yes) return 'proceed';
  const flag = plan.yesFlag ?? '--yes';
  if (!prompter.canAsk) {
    throw new NotConfirmedError(`refusing to ${plan.action} without confirmation: there is no terminal to ask; pass ${flag} to proceed`);
  }
  const ok = plan.typeToConfirm !== undefined
    ? await prompter.typed(`Type the database name (${plan.typeToConfirm}) to confirm:`, plan.typeToConfirm)
    : await prompter.confirm(`${plan.action[0]!.toUpperCase()}${plan.action.slice(1)}?`);
  if (!ok) {
    throw new NotConfirmedError(plan.typeToConfirm !== undefined
      ? `not confirmed (the name typed was not ${plan.typeToConfirm}); nothing was changed`
      : 'not confirmed; nothing was changed');
  }
  return 'proceed';
}
