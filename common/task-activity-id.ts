/**
 * The id an operation gives each activity it schedules inside a task, so that the calls
 * Temporal lists as pending (and retrying) can be told apart by the task they work for.
 * Temporal wants activity ids unique among the workflow's pending activities only; the
 * number makes them unique for the whole run.
 */
const PATTERN = /^task\/(\d+)\/(.+)$/s;

export function taskActivityId(task: string, call: number): string {
  return `task/${call}/${task}`;
}

/** The task an activity id names, or undefined for an id given outside any task. */
export function taskOfActivityId(activityId: string | null | undefined): string | undefined {
  return activityId ? PATTERN.exec(activityId)?.[2] : undefined;
}
