import type { NextFunction, Request, Response } from 'express';

/** The largest request body the API reads (body-parser's `limit`, in bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a body may have. A cluster spec needs six
 * levels and profile overrides a few more; past this, validation and serialization recurse
 * until the stack overflows.
 */
export const MAX_BODY_DEPTH = 32;

/** The `type` of the error a too-deep body raises, in body-parser's style so one handler formats both. */
export const BODY_TOO_DEEP = 'entity.too.deep';

/** The `type` of the error a body with a `__proto__` or `constructor` key raises. */
export const BODY_PROTOTYPE_KEY = 'entity.prototype.key';

/**
 * Keys class-transformer (behind the validation pipe) cannot carry: it skips both, so the
 * entry (a tag, say) vanishes without a word, and a `constructor` that is not a function
 * makes it throw, which was a 500.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor']);

export type BodyShapeProblem = { kind: 'too-deep' } | { kind: 'prototype-key'; key: string; at: string };

/**
 * What makes a parsed body unsafe to hand on: nesting past `limit`, or a key in
 * PROTOTYPE_KEYS. Iterative, so a body nested a million deep cannot overflow the stack
 * here; stops at the first problem.
 */
export function bodyShapeProblem(value: unknown, limit: number): BodyShapeProblem | undefined {
  // Each entry links to its parent, so the dotted path is spelled out only for the one reported.
  interface Pending {
    value: unknown;
    depth: number;
    key?: string;
    parent?: Pending;
  }
  const pathOf = (entry: Pending): string => {
    const keys: string[] = [];
    for (let at: Pending | undefined = entry; at?.key !== undefined; at = at.parent) keys.unshift(at.key);
    return keys.length > 0 ? keys.join('.') : 'body';
  };
  const pending: Pending[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const entry = pending.pop()!;
    if (entry.value === null || typeof entry.value !== 'object') continue;
    if (entry.depth + 1 > limit) return { kind: 'too-deep' };
    for (const [key, child] of Object.entries(entry.value)) {
      if (PROTOTYPE_KEYS.has(key)) return { kind: 'prototype-key', key, at: pathOf(entry) };
      pending.push({ value: child, depth: entry.depth + 1, key, parent: entry });
    }
  }
  return undefined;
}

/** Refuses a parsed JSON body that bodyShapeProblem objects to, before anything walks it recursively. */
export function bodyShapeGuard(req: Request, _res: Response, next: NextFunction): void {
  const problem = bodyShapeProblem(req.body, MAX_BODY_DEPTH);
  if (problem?.kind === 'too-deep') {
    next(Object.assign(new Error(`request body nested deeper than ${MAX_BODY_DEPTH}`), { type: BODY_TOO_DEEP, status: 400 }));
    return;
  }
  if (problem?.kind === 'prototype-key') {
    next(Object.assign(new Error(`"${problem.key}" key in ${problem.at}`), { type: BODY_PROTOTYPE_KEY, status: 400, key: problem.key, at: problem.at }));
    return;
  }
  next();
}
