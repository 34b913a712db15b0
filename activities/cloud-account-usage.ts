import type { AwsDeps } from '../cloud/aws-session';

/** The store's record of which cluster uses which account: a deleted cluster frees its account. */
export function cloudAccountUsageActivities(deps: AwsDeps) {
  return {
    async releaseCloudAccountUsage({ project, cluster }: { project: string; cluster: string }): Promise<void> {
      await deps.store.releaseCloudAccount(project, cluster);
    },
  };
}
