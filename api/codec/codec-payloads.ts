import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Payload } from '@temporalio/common';
import { ApiError, FieldProblem } from '../common/error-shape';

/**
 * The body of Temporal's remote codec protocol: `Payloads` in protobuf JSON, bytes as base64.
 * Checked by hand rather than by the validation pipe: metadata is a map with any keys, and
 * fields a newer Temporal adds to a payload are ignored rather than refused.
 */

export class CodecPayloadDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', format: 'byte' }, example: { encoding: 'anNvbi9wbGFpbg==' } })
  metadata?: Record<string, string>;

  @ApiPropertyOptional({ format: 'byte', example: 'eyJuYW1lIjoiZGVtbyJ9' })
  data?: string;
}

export class CodecPayloadsDto {
  @ApiProperty({ type: [CodecPayloadDto] })
  payloads!: CodecPayloadDto[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bytes(value: unknown, field: string, problems: FieldProblem[]): Uint8Array | undefined {
  if (typeof value !== 'string' || !BASE64.test(value)) {
    problems.push({ field, rule: 'isBase64', message: `${field} must be a base64 string` });
    return undefined;
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** The payloads of a codec request, or a 400 naming every field that is not one. */
export function payloadsFromJson(body: unknown): Payload[] {
  const problems: FieldProblem[] = [];
  if (!isRecord(body) || !Array.isArray(body.payloads)) {
    throw new ApiError(400, 'payloads: must be an array of payloads', [{ field: 'payloads', rule: 'isArray', message: 'payloads must be an array of payloads' }]);
  }
  const payloads = body.payloads.map((item: unknown, i): Payload => {
    const field = `payloads.${i}`;
    if (!isRecord(item)) {
      problems.push({ field, rule: 'isObject', message: `${field} must be an object with metadata and data` });
      return {};
    }
    if (item.metadata !== undefined && !isRecord(item.metadata)) {
      problems.push({ field: `${field}.metadata`, rule: 'isObject', message: `${field}.metadata must be an object of base64 strings` });
    }
    const metadata: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries(isRecord(item.metadata) ? item.metadata : {})) {
      const decoded = bytes(value, `${field}.metadata.${key}`, problems);
      if (decoded) metadata[key] = decoded;
    }
    // Protobuf JSON leaves out empty bytes.
    const data = item.data === undefined ? new Uint8Array() : bytes(item.data, `${field}.data`, problems);
    return { metadata, data };
  });
  if (problems.length > 0) throw new ApiError(400, problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
  return payloads;
}

export function payloadsToJson(payloads: Payload[]): CodecPayloadsDto {
  return {
    payloads: payloads.map((payload) => ({
      metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
      data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}
