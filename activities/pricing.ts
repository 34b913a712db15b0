import { AwsDeps } from '../cloud/aws-session';
import { estimateCost } from '../cloud/pricing';
import { CostEstimate, CostInput } from './types';

/** The cost estimate (cloud/pricing.ts), as the activity recorded histories name `estimateCost`. */
export function pricingActivities(deps: AwsDeps) {
  return {
    async estimateCost(input: CostInput): Promise<CostEstimate> {
      return estimateCost(deps, input);
    },
  };
}
