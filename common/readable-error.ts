/**
 * The message an operator should read: a failure's innermost cause (AWS's code and message),
 * not the wrappers' "Activity task failed" or "Child Workflow execution failed". Pure: the
 * workflows and the API both use it.
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
