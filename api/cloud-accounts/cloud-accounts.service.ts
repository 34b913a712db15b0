import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../common/error-shape';
import { ApiSettings } from '../common/settings';
import { SETTINGS, STORE, STS_VERIFIER } from '../common/tokens';
import { CloudAccountRecord, NameTakenError, Store } from '../../store/store';
import { CloudAccountView, CreateCloudAccountDto, RotateCloudAccountKeysDto } from './cloud-account.dto';
import { AwsKeys, StsVerifier } from './sts-verifier';

/** Shows the first and last four characters of an access key id, enough to recognise it. */
export function maskAccessKeyId(id: string): string {
  return id.length <= 8 ? '*'.repeat(id.length) : `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

function toView(record: CloudAccountRecord, clusters: string[]): CloudAccountView {
  return {
    id: record.id,
    name: record.name,
    accessKeyId: maskAccessKeyId(record.accessKeyId),
    awsAccountId: record.awsAccountId,
    createdAt: record.createdAt,
    clusters,
  };
}

@Injectable()
export class CloudAccountsService {
  private readonly logger = new Logger('cloud-accounts');

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(SETTINGS) private readonly settings: ApiSettings,
    @Inject(STS_VERIFIER) private readonly verifier: StsVerifier,
  ) {}

  async create(project: string, dto: CreateCloudAccountDto): Promise<CloudAccountView> {
    if ((await this.store.listCloudAccounts(project)).some((a) => a.name === dto.name)) {
      throw new ApiError(409, `name: a cloud account named "${dto.name}" already exists`);
    }
    const awsAccountId = await this.awsAccountOf(dto);
    const id = randomUUID();
    const record: CloudAccountRecord = {
      id,
      project,
      name: dto.name,
      accessKeyId: dto.accessKeyId,
      sealedSecret: this.settings.secretBox.seal(
        JSON.stringify({ secretAccessKey: dto.secretAccessKey, sessionToken: dto.sessionToken }),
        id,
      ),
      awsAccountId,
      createdAt: new Date().toISOString(),
    };
    try {
      await this.store.insertCloudAccount(record);
    } catch (error) {
      if (error instanceof NameTakenError) throw new ApiError(409, `name: a cloud account named "${dto.name}" already exists`);
      throw error;
    }
    this.logger.log(`cloud account ${record.id} "${record.name}" added (key ${maskAccessKeyId(record.accessKeyId)}, AWS account ${record.awsAccountId ?? 'unknown'})`);
    return toView(record, []);
  }

  /**
   * Key rotation: new keys, verified with STS, of the same AWS account (the clusters' resources
   * live there). Running clusters sign their next AWS call with them: activities read the keys
   * from the store at every call.
   */
  async rotateKeys(project: string, id: string, dto: RotateCloudAccountKeysDto): Promise<CloudAccountView> {
    const record = await this.store.getCloudAccount(project, id);
    if (!record) throw new ApiError(404, `cloud account ${id} not found`);
    const awsAccountId = await this.awsAccountOf(dto);
    if (record.awsAccountId !== undefined && awsAccountId !== record.awsAccountId) {
      const theirs = awsAccountId === undefined ? 'an AWS account STS did not name' : `AWS account ${awsAccountId}`;
      const message = `these keys belong to ${theirs}, not to AWS account ${record.awsAccountId}, where cloud account ${id} and its clusters live; rotate to keys of AWS account ${record.awsAccountId}, or add the other account with POST /v1/cloud-accounts`;
      throw new ApiError(422, `accessKeyId: ${message}`, [{ field: 'accessKeyId', rule: 'same-aws-account', message }]);
    }
    const keys = {
      accessKeyId: dto.accessKeyId,
      sealedSecret: this.settings.secretBox.seal(JSON.stringify({ secretAccessKey: dto.secretAccessKey, sessionToken: dto.sessionToken }), id),
      awsAccountId: awsAccountId ?? record.awsAccountId,
    };
    // Deleted while STS answered: nothing to rotate any more.
    if (!(await this.store.updateCloudAccountKeys(project, id, keys))) throw new ApiError(404, `cloud account ${id} not found`);
    this.logger.log(`cloud account ${id} "${record.name}": keys rotated from ${maskAccessKeyId(record.accessKeyId)} to ${maskAccessKeyId(keys.accessKeyId)} (AWS account ${keys.awsAccountId ?? 'unknown'})`);
    return toView({ ...record, ...keys }, await this.store.clustersUsingCloudAccount(project, id));
  }

  async list(project: string): Promise<CloudAccountView[]> {
    const records = await this.store.listCloudAccounts(project);
    return Promise.all(records.map(async (record) => toView(record, await this.store.clustersUsingCloudAccount(project, record.id))));
  }

  async get(project: string, id: string): Promise<CloudAccountView> {
    const record = await this.store.getCloudAccount(project, id);
    if (!record) throw new ApiError(404, `cloud account ${id} not found`);
    return toView(record, await this.store.clustersUsingCloudAccount(project, id));
  }

  /** The AWS account the keys belong to, as STS says; refuses keys STS rejects (400) or cannot judge (502). */
  private async awsAccountOf(keys: AwsKeys): Promise<string | undefined> {
    const verification = await this.verifier.verify({ accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey, sessionToken: keys.sessionToken });
    if (!verification.ok && verification.reason === 'rejected') {
      throw new ApiError(400, `secretAccessKey: AWS STS rejected these credentials (${verification.message})`, [
        { field: 'secretAccessKey', rule: 'sts', message: verification.message },
      ]);
    }
    if (!verification.ok) {
      throw new ApiError(502, `could not verify the credentials with AWS STS: ${verification.message}`);
    }
    return verification.awsAccountId;
  }

  async delete(project: string, id: string): Promise<void> {
    await this.get(project, id);
    const clusters = await this.store.clustersUsingCloudAccount(project, id);
    if (clusters.length > 0) {
      throw new ApiError(409, `cloud account ${id} is in use by cluster(s) ${clusters.join(', ')}; delete them first`, { clusters });
    }
    await this.store.deleteCloudAccount(project, id);
    this.logger.log(`cloud account ${id} deleted`);
  }
}
