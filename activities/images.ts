import { ApplicationFailure } from '@temporalio/common';
import { AwsDeps, withSession } from '../cloud/aws-session';
import { findNewestImage, noImageMessage } from '../cloud/images';
import { ImageInfo, ResolveImageInput } from './types';

/** The node image, resolved once per operation so every node of it boots the same AMI. */
export function imageActivities(deps: AwsDeps) {
  return {
    async resolveImage({ scope, owner, namePattern }: ResolveImageInput): Promise<ImageInfo> {
      return withSession(deps, scope, async ({ ec2 }) => {
        const image = await findNewestImage(ec2, owner, namePattern);
        if (!image) throw ApplicationFailure.nonRetryable(noImageMessage(owner, namePattern, scope.region), 'ImageNotFound');
        return image;
      });
    },
  };
}
