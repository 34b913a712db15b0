import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'clusterflow:public';

/**
 * Marks a controller or handler as reachable without the bearer token. The guard protects
 * every other route, so a route added later is protected unless it says otherwise here.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
