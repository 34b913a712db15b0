import { CreateKeyPairCommand, EC2Client } from '@aws-sdk/client-ec2';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { accessibilityViolations, artifactsDir, launchBrowser } from '../support/browser';
import { waitPhase } from '../support/clusters';
import { call } from '../support/http';
import { putSimConfig } from '../support/sim-client';
import { useStack } from '../support/stack';

const KEYS = { accessKeyId: 'AKIAE2ECONSOLE000001', secretAccessKey: 'consoleSecretKeyThatIsLongEnough00001' };
const ROTATED = { accessKeyId: 'AKIAE2ECONSOLE000002', secretAccessKey: 'consoleSecretKeyThatIsLongEnough00002' };
const CLUSTER = 'web';

/**
 * The console in a real browser (Debian's headless Chromium, driven by playwright-core) against
 * the real stack: sign in, add the account, create a cluster through the wizard, watch its tasks,
 * scale a pool from the Nodes view (a call retried on the way), add a pool (cancelled, retried),
 * change its instance type, remove it, delete the cluster. Each page is screenshotted into test-artifacts/console/ and checked
 * with axe (WCAG 2 A and AA).
 */
describe('console (browser, end to end)', () => {
  const stack = useStack({ sim: { delayScale: 0.2 } });
  let browser: Browser;
  let page: Page;
  const shots = artifactsDir('console');
  const violations: Record<string, string[]> = {};

  async function checkPage(name: string): Promise<void> {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    const found = await accessibilityViolations(page);
    if (found.length > 0) violations[name] = found;
  }

  beforeAll(async () => {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: stack.sim, credentials: KEYS });
    await ec2.send(new CreateKeyPairCommand({ KeyName: 'ops-key' }));
    ec2.destroy();
    browser = await launchBrowser();
    // axe needs a page of a context of its own (not browser.newPage()).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    process.stdout.write(`console screenshots: ${shots}\n`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('signs in with the token, kept for the session only, and shows the project', async () => {
    await page.goto(`${stack.api}/`);
    await page.getByRole('heading', { name: 'Sign in to Clusterflow' }).waitFor();
    await checkPage('sign-in');
    await page.getByLabel('API token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Refused (401)' }).waitFor();
    await page.getByLabel('API token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Clusters' }).waitFor();
    expect(await page.getByTestId('project').textContent()).toBe('default');
    // Runs in the page (the test's own lib has no DOM): the token is in sessionStorage, nothing in localStorage.
    const stored = await page.evaluate('({ session: sessionStorage.getItem("clusterflow.token") !== null, local: localStorage.length })');
    expect(stored).toEqual({ session: true, local: 0 });
  });

  it('adds the cloud account; its secret is never shown back', async () => {
    await page.getByRole('link', { name: 'Cloud accounts' }).click();
    await page.getByRole('heading', { name: 'Add an account' }).waitFor();
    await page.getByLabel('Name').fill('sim');
    await page.getByLabel('Access key id').fill(KEYS.accessKeyId);
    await page.getByLabel('Secret access key').fill('short');
    await page.getByRole('button', { name: 'Add account' }).click();
    // The API's 400 names the field: the message stands next to it.
    await page.locator('#error-secretAccessKey').waitFor();
    await page.getByLabel('Secret access key').fill(KEYS.secretAccessKey);
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.locator('[data-account="sim"]').waitFor();
    await checkPage('accounts');
    expect(await page.content()).not.toContain(KEYS.secretAccessKey);

    // Rotation: new keys of the same AWS account; the page shows the new key masked, never the secret.
    const card = page.locator('[data-account="sim"]');
    await card.getByRole('button', { name: 'Rotate the keys of sim' }).click();
    await card.getByLabel('Access key id').fill(ROTATED.accessKeyId);
    await card.getByLabel('Secret access key').fill(ROTATED.secretAccessKey);
    await card.getByRole('button', { name: 'Rotate keys' }).click();
    await card.getByRole('status').filter({ hasText: 'Keys rotated: now AKIA' }).waitFor();
    const text = await page.content();
    expect(text).not.toContain(ROTATED.secretAccessKey);
    expect(text).not.toContain(ROTATED.accessKeyId);
  });

  it('lists the profiles and shows one', async () => {
    await page.getByRole('link', { name: 'Profiles' }).click();
    await page.getByRole('link', { name: 'aws-default' }).click();
    await page.getByRole('heading', { name: /^kubernetes/ }).waitFor();
    await checkPage('profile');
  });

  it('the wizard goes step by step, by keyboard too, with errors next to their fields', async () => {
    await page.getByRole('link', { name: 'Create cluster' }).first().click();
    const heading = page.locator('#wizard-step-heading');
    await heading.getByText('Step 1: Name and tags').waitFor();
    await checkPage('wizard-name');
    // Keyboard: the step's heading has the focus, Tab walks the fields in order, Enter goes on.
    const focused = (): Promise<string> => page.evaluate('document.activeElement.id || document.activeElement.textContent');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('#error-name').getByText('must be a DNS label').waitFor();
    expect(await page.getByLabel('Cluster name').getAttribute('aria-describedby')).toBe('error-name');
    await heading.focus();
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('name');
    await page.keyboard.type(CLUSTER);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('description');
    await page.keyboard.type('made in the browser test');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('tags');
    await page.keyboard.type('team=web');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Next');
    await page.keyboard.press('Enter');
    await heading.getByText('Step 2: Cluster profile').waitFor();
    expect(await focused()).toBe('wizard-step-heading');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('profile.id');
    await page.getByLabel('Cluster profile').selectOption('aws-default');
    await page.getByRole('button', { name: 'Next' }).click();

    await heading.getByText('Step 3: Pack parameters').waitFor();
    await page.getByLabel('kubernetes podCIDR').fill('192.168.0.0/16');
    await checkPage('wizard-packs');
    await page.getByRole('button', { name: 'Next' }).click();

    await heading.getByText('Step 4: Cloud and placement').waitFor();
    await page.getByLabel('Cloud account').selectOption({ label: await page.locator('#cloud\\.accountId option', { hasText: 'sim' }).innerText() });
    // The key pairs are the account's own, read through the API.
    await page.locator('#cloud\\.sshKeyName option[value="ops-key"]').waitFor({ state: 'attached' });
    await page.getByLabel('SSH key pair').selectOption('ops-key');
    await page.getByLabel('VPC CIDR').fill('10.40.0.0/16');
    await checkPage('wizard-cloud');
    await page.getByRole('button', { name: 'Next' }).click();

    await heading.getByText('Step 5: Node pools').waitFor();
    await page.getByRole('group', { name: 'AZs of master' }).getByLabel('us-east-1a').check();
    await page.locator('#pools\\.1\\.size').fill('1');
    // Well-formed, but not offered: only AWS (through the API) can say so.
    await page.locator('#pools\\.1\\.instanceType').fill('m5.huge');
    await page.getByRole('group', { name: 'AZs of workers' }).getByLabel('us-east-1a').check();
    await page.getByRole('group', { name: 'AZs of workers' }).getByLabel('us-east-1b').check();
    await checkPage('wizard-pools');
    await page.getByRole('button', { name: 'Review (dry run)' }).click();
    await page.locator('#error-pools-1-instanceType').getByText('not offered').waitFor();
    await heading.getByText('Step 5: Node pools').waitFor();
    await page.locator('#pools\\.1\\.instanceType').fill('m5.large');
    await page.getByRole('button', { name: 'Review (dry run)' }).click();

    await heading.getByText('Step 6: Review and deploy').waitFor();
    await page.getByText('Preflight passed').waitFor();
    expect(await page.getByTestId('cost').innerText()).toMatch(/^\$\d+\.\d{4} per hour/);
    await checkPage('wizard-review');
    await page.getByRole('button', { name: 'Deploy' }).click();
  });

  it('shows the cluster page and its tasks completing live', async () => {
    await page.getByRole('heading', { name: `Cluster ${CLUSTER}` }).waitFor();
    const current = page.locator('.current-operation[data-operation="op-1-create"]');
    await current.waitFor();
    // Live: a task seen running, then succeeded, without reloading the page.
    await current.locator('tr[data-task="vpc"][data-state="Succeeded"]').waitFor({ timeout: 120000 });
    await checkPage('cluster-provisioning');
    await page.locator('li[data-operation="op-1-create"][data-state="Succeeded"]').waitFor({ timeout: 240000 });
    await page.locator('h1 .badge', { hasText: 'Running' }).waitFor();
    await checkPage('cluster');
    await page.getByRole('link', { name: 'Clusters', exact: true }).click();
    await page.locator(`tr[data-cluster="${CLUSTER}"]`).waitFor();
    await checkPage('clusters');
    // The phase filter is the list's own (GET /v1/clusters?phase=…), kept in the address.
    await page.getByLabel('Phase').selectOption('Failed');
    await page.getByText('No clusters in phase Failed yet.').waitFor();
    expect(page.url()).toContain('#/clusters?phase=Failed');
    await page.getByLabel('Phase').selectOption('Running');
    await page.locator(`tr[data-cluster="${CLUSTER}"]`).waitFor();
  }, 600000);

  it('scales a pool from the Nodes view and sees the new node appear', async () => {
    await page.goto(`${stack.api}/#/clusters/${CLUSTER}`);
    const workers = page.locator('article[data-pool="workers"]');
    await workers.locator('tr[data-node]').first().waitFor();
    expect(await workers.locator('tr[data-node]').count()).toBe(1);
    // AWS is out of capacity for a while: the launch is retried, and the page says which call and why.
    await putSimConfig(stack.sim, { faults: { 'ec2:RunInstances': { code: 'InsufficientInstanceCapacity', httpStatus: 500, message: 'We currently do not have sufficient m5.large capacity', rate: 1 } } });
    await workers.getByLabel('Size').fill('2');
    await workers.getByRole('button', { name: 'Scale workers' }).click();
    await workers.getByRole('status').filter({ hasText: 'accepted as op-2-scale' }).waitFor();
    const retried = page.locator('.current-operation[data-operation="op-2-scale"] table.retrying');
    await retried.locator('tr', { hasText: 'InsufficientInstanceCapacity' }).waitFor({ timeout: 60000 });
    expect(await retried.locator('tbody tr').first().innerText()).toMatch(/node\/workers\/1/);
    await checkPage('cluster-retrying');
    await putSimConfig(stack.sim, { faults: { 'ec2:RunInstances': null } });
    await workers.locator('tr[data-node="node/workers/1"]').waitFor({ timeout: 180000 });
    await page.locator('li[data-operation="op-2-scale"][data-state="Succeeded"]').waitFor({ timeout: 180000 });
    expect(await workers.locator('table[data-az="us-east-1b"] tr[data-node]').count()).toBe(1);
    await page.locator('#nodes-heading').scrollIntoViewIfNeeded();
    await page.locator('section[aria-labelledby="nodes-heading"]').screenshot({ path: path.join(shots, 'nodes.png') });
    await checkPage('cluster-scaled');
  }, 600000);

  it('adds a pool (a refused field marked at the field; cancelled, then retried), changes its instance type, removes it', async () => {
    const add = page.getByRole('form', { name: 'Add a worker pool' });
    await add.getByLabel('Name').fill('Extra');
    await add.getByRole('button', { name: 'Add pool' }).click();
    // The API's 400 names the field; the message stands under the pool's name.
    await page.locator('#error-add-pool-name').waitFor();
    expect(await add.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    // The first try meets AWS out of capacity and is cancelled from the page, then retried from it.
    await putSimConfig(stack.sim, { faults: { 'ec2:RunInstances': { code: 'InsufficientInstanceCapacity', httpStatus: 500, message: 'We currently do not have sufficient m5.large capacity', rate: 1 } } });
    await add.getByLabel('Name').fill('extra');
    await add.getByRole('button', { name: 'Add pool' }).click();
    await add.getByRole('status').filter({ hasText: 'accepted as op-3-add-pool' }).waitFor();
    await page.locator('.current-operation[data-operation="op-3-add-pool"] table.retrying').waitFor({ timeout: 60000 });
    await page.getByRole('button', { name: 'Cancel op-3-add-pool' }).click();
    await page.locator('li[data-operation="op-3-add-pool"][data-state="Cancelled"]').waitFor({ timeout: 120000 });
    await putSimConfig(stack.sim, { faults: { 'ec2:RunInstances': null } });
    await page.getByRole('button', { name: 'Retry op-3-add-pool' }).click();
    await page.getByRole('status').filter({ hasText: 'accepted as op-4-add-pool' }).waitFor();
    const extra = page.locator('article[data-pool="extra"]');
    await extra.locator('tr[data-node="node/extra/0"]').waitFor({ timeout: 180000 });
    await page.locator('li[data-operation="op-4-add-pool"][data-state="Succeeded"]').waitFor({ timeout: 180000 });

    await extra.getByLabel('Instance type', { exact: true }).fill('c5.large');
    await extra.getByRole('button', { name: 'Change instance type' }).click();
    await extra.getByRole('status').filter({ hasText: 'accepted as op-5-reconfigure' }).waitFor();
    await page.locator('li[data-operation="op-5-reconfigure"][data-state="Succeeded"]').waitFor({ timeout: 180000 });
    await extra.locator('tr[data-node="node/extra/0"] td', { hasText: 'c5.large' }).waitFor();

    await extra.getByRole('button', { name: 'Remove pool extra' }).click();
    await extra.getByRole('button', { name: 'Yes, remove extra' }).click();
    await page.locator('li[data-operation="op-6-remove-pool"][data-state="Succeeded"]').waitFor({ timeout: 180000 });
    await extra.waitFor({ state: 'detached' });
    await checkPage('cluster-pools-changed');
  }, 600000);

  it('deletes the cluster after its name is typed', async () => {
    const button = page.getByRole('button', { name: `Delete cluster ${CLUSTER}` });
    expect(await button.isDisabled()).toBe(true);
    await page.getByLabel(/Type the cluster's name/).fill('wrong');
    expect(await button.isDisabled()).toBe(true);
    await page.getByLabel(/Type the cluster's name/).fill(CLUSTER);
    await button.click();
    await page.getByRole('status').filter({ hasText: /accepted as op-\d+-delete/ }).waitFor();
    await page.locator('h1 .badge', { hasText: /Deleting|Deleted/ }).waitFor();
    await checkPage('cluster-deleting');
    await waitPhase(stack.api, stack.token, CLUSTER, ['Deleted']).catch(async () => {
      // The entity closes once deleted: then the cluster is simply not found.
      expect((await call(stack.api, 'GET', `/v1/clusters/${CLUSTER}`, { token: stack.token })).status).toBe(404);
    });
  });

  it('every page passes axe (WCAG 2 A and AA)', () => {
    expect(violations).toEqual({});
  });
});
