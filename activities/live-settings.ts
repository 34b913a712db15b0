import type { AwsDeps } from '../cloud/aws-session';

/**
 * The settings a long-running workflow follows (how often the entity checks its nodes, how
 * often a spot watcher looks at prices), as this worker has them now. Workflows cannot read
 * the environment; they ask for these at the start of each run, so a changed setting reaches
 * every running cluster at its next continue-as-new, without recreating it.
 */
export interface LiveSettings {
  reconcileIntervalS?: number;
  spotIntervalS?: number;
}

export function liveSettingsActivities(deps: Pick<AwsDeps, 'config'>) {
  return {
    // Every activity takes one input (the workflows' typed proxies rely on it); this one needs none.
    async liveSettings(_input: Record<string, never>): Promise<LiveSettings> {
      return { reconcileIntervalS: deps.config.reconcileIntervalS, spotIntervalS: deps.config.spotIntervalS };
    },
  };
}
