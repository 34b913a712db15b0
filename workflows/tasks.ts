import { AsyncLocalStorage, patched, setCurrentDetails } from '@temporalio/workflow';
import { taskActivityId } from '../common/task-activity-id';
import type { Progress, Task } from '../common/cluster-status';
import { readableError } from '../common/readable-error';

/**
 * An operation's task list: what the API's `progress` and the Web UI's current details show.
 * Timestamps come from workflow time, so replay gives the same list.
 */
export class TaskList {
  private readonly tasks: Task[] = [];
  private calls = 0;

  constructor(private readonly title: string) {}

  /** Declares the tasks up front, so `total` is known from the first query. */
  plan(names: string[]): void {
    for (const name of names) if (!this.find(name)) this.tasks.push({ name, state: 'Pending' });
    this.publish();
  }

  /** Runs one task: Running, then Succeeded or Failed with the error's message. */
  async run<T>(name: string, body: () => Promise<T>, describe?: (result: T) => string): Promise<T> {
    const task = this.find(name) ?? this.add(name);
    task.state = 'Running';
    task.startedAt = new Date().toISOString();
    task.message = undefined;
    this.publish();
    try {
      const result = await runningTask.run({ list: this, name }, body);
      task.state = 'Succeeded';
      task.message = describe?.(result);
      return result;
    } catch (error) {
      task.state = 'Failed';
      task.message = readableError(error);
      throw error;
    } finally {
      task.finishedAt = new Date().toISOString();
      this.publish();
    }
  }

  /** The next activity id of task `name`: see activityIdForCurrentTask. */
  nextActivityId(name: string): string {
    return taskActivityId(name, ++this.calls);
  }

  /** Tasks as another workflow carries them out and reports them (a spot pool's watcher rolling its nodes). */
  follow(reported: Task[]): void {
    for (const r of reported) Object.assign(this.find(r.name) ?? this.add(r.name), r);
    this.publish();
  }

  skip(name: string, why: string): void {
    const task = this.find(name) ?? this.add(name);
    task.state = 'Skipped';
    task.message = why;
    this.publish();
  }

  progress(): Progress {
    const done = this.tasks.filter((t) => t.state === 'Succeeded' || t.state === 'Skipped').length;
    return { completed: done, total: this.tasks.length, tasks: this.tasks.map((t) => ({ ...t })) };
  }

  private find(name: string): Task | undefined {
    return this.tasks.find((t) => t.name === name);
  }

  private add(name: string): Task {
    const task: Task = { name, state: 'Pending' };
    this.tasks.push(task);
    return task;
  }

  /** The Web UI's "current details": a markdown checklist of the tasks. */
  private publish(): void {
    const mark: Record<Task['state'], string> = { Pending: '[ ]', Running: '[~]', Succeeded: '[x]', Failed: '[!]', Skipped: '[-]' };
    const { completed, total } = this.progress();
    const lines = this.tasks.map((t) => `- ${mark[t.state]} ${t.name}${t.message ? ` — ${t.message}` : ''}`);
    setCurrentDetails(`**${this.title}**: ${completed}/${total} tasks done\n\n${lines.join('\n')}`);
  }
}


/** The task whose body is running, through every await of that body (and of its activities). */
const runningTask = new AsyncLocalStorage<{ list: TaskList; name: string }>();

/**
 * The activity id for a call made now: it names the task that makes the call, so the API can
 * show each retried call under its own task, from Temporal's pending activities alone.
 * Undefined (Temporal numbers the call) outside a task, and in runs begun before ids named
 * their task, which must replay the ids they recorded.
 */
export function activityIdForCurrentTask(): string | undefined {
  const task = runningTask.getStore();
  if (!task || !patched(TASK_ACTIVITY_IDS)) return undefined;
  return task.list.nextActivityId(task.name);
}

const TASK_ACTIVITY_IDS = 'activity-ids-name-their-task';
