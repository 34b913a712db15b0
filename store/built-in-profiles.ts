import { ProfileRecord } from './store';

/**
 * Profiles that always exist. `aws-default` is a plain, upstream Kubernetes on Ubuntu with
 * Calico and the EBS CSI driver — what an operator expects when they name no profile.
 */
export const BUILT_IN_PROFILES: ReadonlyArray<Omit<ProfileRecord, 'project'>> = [
  {
    id: 'aws-default',
    name: 'aws-default',
    description: 'Ubuntu 22.04, Kubernetes 1.31, Calico, AWS EBS CSI',
    builtIn: true,
    createdAt: '1970-01-01T00:00:00.000Z',
    packs: [
      {
        name: 'ubuntu',
        layer: 'os',
        version: '22.04',
        // Canonical's owner id and the name pattern of its published jammy AMIs.
        values: { amiOwner: '099720109477', amiNamePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' },
      },
      {
        name: 'kubernetes',
        layer: 'k8s',
        version: '1.31.4',
        values: { podCIDR: '192.168.0.0/16', serviceCIDR: '10.96.0.0/12' },
      },
      { name: 'calico', layer: 'cni', version: '3.29.1', values: {} },
      { name: 'aws-ebs-csi', layer: 'csi', version: '1.38.1', values: { defaultStorageClass: 'gp3' } },
    ],
  },
];
