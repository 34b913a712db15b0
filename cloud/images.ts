import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';

export interface ImageInfo {
  imageId: string;
  name: string;
}

/**
 * The newest available image matching the pattern, or undefined. Read-only. The preflight
 * names the image a create boots, and `resolveImage` the one later operations boot: both must
 * pick the same one from the same answer, so the order below is total.
 */
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
    // ...-server-20240301), then the id.
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
