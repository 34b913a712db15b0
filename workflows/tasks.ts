import { setCurrentDetails } from '@temporalio/workflow';
import type { Progress, Task } from '../common/cluster-status';

/**
 * An operation's task list: what the API's `progress` and the Web UI's current details show.
 * Timestamps come from workflow time, so replay gives the same list.
 */
export class TaskList {
  private readonly tasks: Task[] = [];

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
      const result = await body();
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

/**
 * The message an operator should read: an activity failure's cause (AWS's code and message),
 * not the wrapper's "Activity task failed".
 */
export function readableError(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  let message = current?.message ?? String(error);
  while (current?.cause) {
    current = current.cause as { message?: string; cause?: unknown };
    if (current.message) message = current.message;
  }
  return message;
}
