/** Every resource belongs to a project; until per-project tokens arrive, every token belongs to `default`. */
export const DEFAULT_PROJECT = 'default';
