import { AwsDeps } from './aws-session';
import { regionActivities } from './regions';

export type { AwsDeps } from './aws-session';

/** Every activity the worker registers, bound to its dependencies. */
export function createActivities(deps: AwsDeps) {
  return {
    ...regionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
