import { ClusterflowConfig } from '../../common/config';
import { SecretBox } from '../../common/secret-box';

/** What the API process resolved at start: configuration, its bearer token and the key for secrets. */
export interface ApiSettings {
  config: ClusterflowConfig;
  apiToken: string;
  secretBox: SecretBox;
}
