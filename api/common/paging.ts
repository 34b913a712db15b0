import { ApiError } from './error-shape';

/** A `limit` query parameter: absent → `fallback`; otherwise a whole number from 1 to `max`, or a 400 naming it (rule `page-size`). */
export function pageSize(limit: string | undefined, fallback: number, max: number): number {
  const size = limit === undefined ? fallback : Number(limit);
  if (!/^\d+$/.test(limit ?? String(fallback)) || !Number.isInteger(size) || size < 1 || size > max) {
    const message = `must be a whole number from 1 to ${max}`;
    throw new ApiError(400, `limit: ${message}`, [{ field: 'limit', rule: 'page-size', message }]);
  }
  return size;
}
