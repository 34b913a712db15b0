import { AwsDeps } from '../cloud/aws-session';
import { runPreflight } from '../cloud/preflight';
import { PreflightInput, PreflightResult } from './types';

/** The create's preflight (cloud/preflight.ts), as the activity recorded histories name `runPreflight`. */
export function preflightActivities(deps: AwsDeps) {
  return {
    async runPreflight(input: PreflightInput): Promise<PreflightResult> {
      return runPreflight(deps, input);
    },
  };
}
