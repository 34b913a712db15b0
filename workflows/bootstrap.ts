/**
 * A node's user data: a cloud-init document rendered from the resolved profile. Join secrets
 * stay in Secrets Manager; the document only names the secret, and the node reads it with
 * its own instance role at boot. Pure, so the workflow can render it deterministically.
 *
 * No value is ever spliced into a document's text: both YAML documents come from a YAML
 * serializer and every value in the shell environment file is shell-quoted, so whatever a
 * string holds (a newline, `---`, `$(…)`, quotes) it is read back on the node as that string.
 */
import { stringify } from 'yaml';
import type { Taint } from '../common/cluster-spec';
import type { ResolvedProfile } from '../common/profile';
import { shellAssignments } from '../common/shell-quote';

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
  /**
   * The secret only control-plane nodes can read (the certificate key). Written for
   * control-plane nodes only: a worker's document never names it, even if a caller passes it.
   */
  controlPlaneSecretName?: string;
  /** Control-plane nodes are tainted unless the pool allows workloads. */
  taintControlPlane: boolean;
  /** The pool's own Kubernetes labels and taints (common/pool-settings.ts checked them). */
  labels?: Record<string, string>;
  taints?: Taint[];
}

const NODE_ENV = '/etc/clusterflow/node.env';

/**
 * Cloud-init (PyYAML) and kubeadm (go-yaml) read YAML 1.1, where `yes`, `on` or `1:20` are not
 * strings: serializing for 1.1 quotes them. No line folding, so no reader can fold a value.
 */
const HOSTNAME_LIMIT = 63;

/** FNV-1a, 32 bits: a short, deterministic digest that workflow code may compute. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * A node's hostname (a DNS label, at most 63 characters): `node-<pool>-<index>`, or for a
 * pool name too long for that, as much of it as fits plus a digest of the whole key, so two
 * long pool names sharing a prefix still give two hostnames.
 */
export function nodeHostname(nodeKey: string): string {
  const name = nodeKey.replace(/\//g, '-');
  if (name.length <= HOSTNAME_LIMIT) return name;
  const index = nodeKey.split('/').pop() ?? '';
  const digest = fnv1a(nodeKey);
  const room = HOSTNAME_LIMIT - index.length - digest.length - 2;
  return `${name.slice(0, room).replace(/-+$/, '')}-${digest}-${index}`;
}

function yaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0 });
}

/**
 * Reads secret `$variable` (named in node.env) with the node's instance role into `path`,
 * readable by root only from its first byte (umask), and complete or absent (rename).
 */
function fetchSecret(variable: string, path: string): string[] {
  return [
    '/bin/sh',
    '-c',
    `. ${NODE_ENV} && umask 077 && aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$${variable}" --query SecretString --output text > ${path}.tmp && chmod 600 ${path}.tmp && mv ${path}.tmp ${path}`,
  ];
}

/**
 * The node's name for itself in kubeadm: its taints (the control plane's own first) and, when
 * the pool has labels, the kubelet's `node-labels` (sorted, so the same labels render the
 * same document). A pool with neither renders as nodes did before pools could have them.
 */
function nodeRegistration(input: BootstrapInput): Record<string, unknown> {
  const own = input.role === 'control-plane' && input.taintControlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [];
  const taints = [...own, ...(input.taints ?? []).map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect }))];
  const labels = Object.entries(input.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (labels.length === 0) return { taints };
  return { taints, kubeletExtraArgs: [{ name: 'node-labels', value: labels.map(([k, v]) => `${k}=${v}`).join(',') }] };
}

export function renderUserData(input: BootstrapInput): string {
  const { profile } = input;
  const controlPlane = input.role === 'control-plane';
  const minor = profile.kubernetesVersion.split('.').slice(0, 2).join('.');
  const nodeConfiguration = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: input.initialises ? 'InitConfiguration' : 'JoinConfiguration',
    nodeRegistration: nodeRegistration(input),
  };
  const clusterConfiguration = {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    clusterName: input.clusterName,
    kubernetesVersion: `v${profile.kubernetesVersion}`,
    controlPlaneEndpoint: input.apiEndpoint,
    networking: { podSubnet: profile.podCIDR, serviceSubnet: profile.serviceCIDR },
  };
  const kubeadmConfig = `${yaml(nodeConfiguration)}---\n${yaml(clusterConfiguration)}`;
  const joinMode = input.role === 'worker' ? 'worker' : input.initialises ? 'init' : 'control-plane';
  // Empty counts as unset: a node must not try to read a secret with no name.
  const controlPlaneSecretName = controlPlane && input.controlPlaneSecretName ? input.controlPlaneSecretName : undefined;
  const environment: Array<readonly [string, string]> = [
    ['CLUSTER_NAME', input.clusterName],
    ['NODE_ROLE', input.role],
    ['JOIN_MODE', joinMode],
    ['KUBERNETES_VERSION', profile.kubernetesVersion],
    ['KUBERNETES_MINOR', minor],
    ['CNI', profile.cni.name],
    ['CNI_VERSION', profile.cni.version],
    ['API_ENDPOINT', input.apiEndpoint],
    ['AWS_REGION', input.region],
    ['JOIN_SECRET_NAME', input.joinSecretName],
    ...(controlPlaneSecretName === undefined ? [] : [['CONTROL_PLANE_SECRET_NAME', controlPlaneSecretName] as const]),
  ];
  const document = {
    hostname: nodeHostname(input.nodeKey),
    package_update: true,
    packages: ['apt-transport-https', 'ca-certificates', 'curl', 'awscli'],
    write_files: [
      { path: '/etc/clusterflow/kubeadm.yaml', permissions: '0600', content: kubeadmConfig },
      { path: NODE_ENV, permissions: '0644', content: shellAssignments(environment) },
    ],
    runcmd: [
      fetchSecret('JOIN_SECRET_NAME', '/etc/clusterflow/join.json'),
      ...(controlPlaneSecretName === undefined ? [] : [fetchSecret('CONTROL_PLANE_SECRET_NAME', '/etc/clusterflow/control-plane.json')]),
      ['/bin/sh', '-c', `. ${NODE_ENV} && printf 'bootstrap %s for %s (Kubernetes %s, %s)\\n' "$JOIN_MODE" "$CLUSTER_NAME" "$KUBERNETES_VERSION" "$CNI"`],
    ],
  };
  return `#cloud-config\n${yaml(document)}`;
}
