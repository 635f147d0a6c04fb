import type { Ctx } from './context.js';

// The type every command file registers its handlers through. It lives apart from
// program.ts, which imports every command file: a command importing program.ts back
// would make a cycle.

/** Runs a command handler with the context; the handler returns the exit code. */
export type Handler = (ctx: Ctx, ...args: unknown[]) => Promise<number | void>;
export type Bind = (handler: (ctx: Ctx, ...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
