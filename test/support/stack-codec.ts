import type { DataConverter } from '@temporalio/common';
import { loadConfig } from '../../common/config';
import { resolvePayloadCodec } from '../../common/data-dir';
import type { StackUnderTest } from './stack';

/**
 * The data converter of a running stack's worker and API (same environment, same data dir,
 * so the same payload key), for a test's own Temporal client or a replay of the stack's
 * histories: both see encrypted payloads otherwise.
 */
export function stackDataConverter(stack: Pick<StackUnderTest, 'running'>): DataConverter {
  return { payloadCodecs: [resolvePayloadCodec(loadConfig(stack.running.env))] };
}
