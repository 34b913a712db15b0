/**
 * Every resource belongs to a project: cloud accounts, profiles and clusters are looked up
 * within one. `default` exists without being created, and is where the admin token acts
 * unless a request names another.
 */
export const DEFAULT_PROJECT = 'default';

/** A project's name: a lower-case DNS label, as cluster names are (it goes into workflow ids, tags and AWS names). */
export const PROJECT_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function isProjectName(name: string): boolean {
  return PROJECT_NAME_PATTERN.test(name);
}
