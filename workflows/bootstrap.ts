/**
 * A node's user data: a cloud-init document rendered from the resolved profile. Join secrets
 * stay in Secrets Manager; the document only names the secret, and the node reads it with
 * its own instance role at boot. Pure, so the workflow can render it deterministically.
 */
import type { ResolvedProfile } from '../common/profile';

export interface BootstrapInput {
  clusterName: string;
  region: string;
  role: 'control-plane' | 'worker';
  /** The first control-plane node initialises the cluster; the others join it. */
  initialises: boolean;
  nodeKey: string;
  profile: ResolvedProfile;
  apiEndpoint: string;
  joinSecretName: string;
  /** Control-plane nodes are tainted unless the pool allows workloads. */
  taintControlPlane: boolean;
}

/**
 * cloud-config is YAML and YAML is a superset of JSON, so JSON is a valid, unambiguous
 * cloud-config body: no YAML library needed and no quoting pitfalls.
 */
export function renderUserData(input: BootstrapInput): string {
  const { profile } = input;
  const minor = profile.kubernetesVersion.split('.').slice(0, 2).join('.');
  const kubeadmConfig = [
    `apiVersion: kubeadm.k8s.io/v1beta4`,
    `kind: ${input.initialises ? 'InitConfiguration' : 'JoinConfiguration'}`,
    `nodeRegistration:`,
    `  taints: ${input.role === 'control-plane' && input.taintControlPlane ? '[{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]' : '[]'}`,
    `---`,
    `apiVersion: kubeadm.k8s.io/v1beta4`,
    `kind: ClusterConfiguration`,
    `clusterName: ${input.clusterName}`,
    `kubernetesVersion: v${profile.kubernetesVersion}`,
    `controlPlaneEndpoint: ${input.apiEndpoint}`,
    `networking:`,
    `  podSubnet: ${profile.podCIDR}`,
    `  serviceSubnet: ${profile.serviceCIDR}`,
  ].join('\n');
  const joinMode = input.role === 'worker' ? 'worker' : input.initialises ? 'init' : 'control-plane';
  const document = {
    hostname: input.nodeKey.replace(/\//g, '-'),
    package_update: true,
    packages: ['apt-transport-https', 'ca-certificates', 'curl', 'awscli'],
    write_files: [
      { path: '/etc/clusterflow/kubeadm.yaml', permissions: '0600', content: kubeadmConfig },
      {
        path: '/etc/clusterflow/node.env',
        permissions: '0644',
        content: [
          `CLUSTER_NAME=${input.clusterName}`,
          `NODE_ROLE=${input.role}`,
          `JOIN_MODE=${joinMode}`,
          `KUBERNETES_VERSION=${profile.kubernetesVersion}`,
          `KUBERNETES_MINOR=${minor}`,
          `CNI=${profile.cni.name}`,
          `CNI_VERSION=${profile.cni.version}`,
          `API_ENDPOINT=${input.apiEndpoint}`,
          `AWS_REGION=${input.region}`,
          `JOIN_SECRET_NAME=${input.joinSecretName}`,
        ].join('\n'),
      },
    ],
    runcmd: [
      ['/bin/sh', '-c', '. /etc/clusterflow/node.env && TOKEN=$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$JOIN_SECRET_NAME" --query SecretString --output text) && echo "$TOKEN" > /etc/clusterflow/join.json && chmod 600 /etc/clusterflow/join.json'],
      ['/bin/sh', '-c', `. /etc/clusterflow/node.env && echo "bootstrap $JOIN_MODE for $CLUSTER_NAME (Kubernetes $KUBERNETES_VERSION, $CNI)"`],
    ],
  };
  return `#cloud-config\n${JSON.stringify(document, null, 2)}\n`;
}
