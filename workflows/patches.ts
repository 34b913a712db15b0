/**
 * Temporal patch ids: each marks a change that entities and operations already running would
 * replay differently. Code behind `patched(id)` runs only in histories that reach it after
 * the change; older histories replay the old path. Never reuse or rename an id.
 */
export const PATCHES = {
  /** A failed or cancelled create removes what it made (unless kept on request). */
  createRollsBack: 'create-rolls-back',
  /** A create that fails or is cancelled stops its calls in flight and waits for them before it ends. */
  createSettlesBeforeFailing: 'create-settles-before-failing',
  /** A failed scale-up, add-pool or reconfigure terminates what it launched, not only a cancelled one. */
  undoLaunchesOnFailure: 'undo-launches-on-failure',
  /** A cancelled self-repair terminates what it launched (an operator's request preempts repairs). */
  repairUndoesLaunches: 'repair-undoes-launches',
  /** Self-repair terminates the stopped instance it has replaced. */
  repairTerminatesReplaced: 'repair-terminates-replaced',
  /** The spot watcher asks again for a launch it could not confirm, under the same generation, instead of launching anew. */
  spotWatcherConfirmsLaunches: 'spot-watcher-confirms-launches',
  /** A stopped spot watcher settles its launches before its sweep, then signals its entity. */
  spotWatcherSignalsStop: 'spot-watcher-signals-stop',
  /** Delete and remove-pool wait for the spot watchers they stop before they sweep. */
  waitForSpotWatchers: 'wait-for-spot-watchers',
  /** The entity and spot watchers read their intervals from the worker's settings at the start of each run. */
  liveSettingsEachRun: 'live-settings-each-run',
  /** Reconfigure replaces the nodes whose launch settings differ (instance type, labels, taints, root volume), each recording what it launched with. */
  reconfigureByLaunchSettings: 'reconfigure-by-launch-settings',
  /** The spot watcher takes roll requests (a spot pool's rolling reconfigure). */
  spotWatcherRolls: 'spot-watcher-rolls',
  /** A spot watcher's roll request may carry the pool: its labels, taints and root volume roll too. */
  spotWatcherRollsLaunchSettings: 'spot-watcher-rolls-launch-settings',
  /** A spot watcher's roll request may carry a profile: its nodes roll to the Kubernetes version and bootstrap it makes. */
  spotWatcherRollsProfile: 'spot-watcher-rolls-profile',
  /** Upgrade and profile change roll the spot pools through their watchers after the on-demand pools. */
  rollsReachSpotPools: 'rolls-reach-spot-pools',
  /** The entity keeps its cluster's listing (`common/cluster-listing.ts`) in its visibility memo, for GET /v1/clusters. */
  entityPublishesListing: 'entity-publishes-listing',
  /**
   * A spot watcher ticks at its cluster's phase of the interval (common/spot-schedule.ts), a
   * continued run waits for it, runs continue as new at a bounded history length, and its
   * price and listing reads are shared with the other watchers of the worker.
   */
  spotWatcherSpreadsTicks: 'spot-watcher-spreads-ticks',
} as const;
