import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ApplicationFailure } from '@temporalio/common';
import { AwsDeps, withSession } from './aws-session';
import { ImageInfo, ResolveImageInput } from './types';

/** The newest available image matching the pattern, or undefined. Read-only; preflight uses it too. */
export async function findNewestImage(ec2: EC2Client, owner: string, namePattern: string): Promise<ImageInfo | undefined> {
  const answer = await ec2.send(
    new DescribeImagesCommand({
      Owners: [owner],
      Filters: [
        { Name: 'name', Values: [namePattern] },
        { Name: 'state', Values: ['available'] },
      ],
    }),
  );
  const newest = (answer.Images ?? [])
    .filter((image) => image.ImageId && image.Name)
    // Newest first. On a tie the name decides (image names carry their build date, e.g.
    // ...-server-20240301), then the id, so every caller picks the same image.
    .sort(
      (a, b) =>
        Date.parse(b.CreationDate ?? '') - Date.parse(a.CreationDate ?? '') ||
        (b.Name ?? '').localeCompare(a.Name ?? '') ||
        (b.ImageId ?? '').localeCompare(a.ImageId ?? ''),
    )[0];
  return newest ? { imageId: newest.ImageId!, name: newest.Name! } : undefined;
}

export function noImageMessage(owner: string, namePattern: string, region: string): string {
  return `no AMI named ${namePattern} from owner ${owner} in ${region}`;
}

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
