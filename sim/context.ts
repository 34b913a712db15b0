import type { WireResponse } from './errors';
import type { Caller } from './moto';
import type { AwsCall } from './protocol';
import type { Sim } from './sim';
import { buildXml, parseXml, rootOf, type XmlNode } from './xml';

/** What a service hook gets: the simulator, the recognised call, and a way to pass it on to moto. */
export interface Ctx {
  sim: Sim;
  call: AwsCall;
  account: string;
  caller: Caller;
  /** Sends the call to moto (with `params` instead of the original query parameters, if given). */
  forward(params?: URLSearchParams): Promise<WireResponse>;
}

export type Hook = (ctx: Ctx) => Promise<WireResponse>;

/** Rewrites a successful XML answer in place of moto's. */
export function rewriteXml(answer: WireResponse, edit: (root: XmlNode) => void): WireResponse {
  if (answer.status >= 300) return answer;
  const doc = parseXml(answer.body.toString('utf8'));
  edit(rootOf(doc));
  return { ...answer, body: Buffer.from(buildXml(doc)) };
}

/** The root element of a successful XML answer. */
export function rootOfAnswer(answer: WireResponse): XmlNode {
  return rootOf(parseXml(answer.body.toString('utf8')));
}
