import { SetMetadata } from '@nestjs/common';
import type { ProjectRole } from '../../store/store';

/**
 * Who a request acts as. `admin` is the API's own token (settings, or `npm start`'s
 * `<data dir>/api-token`): everything, in any project. `operator` and `viewer` are project
 * tokens (POST /v1/projects/:project/tokens): reads and changes, or reads only, in their
 * project and nowhere else.
 */
export type Role = 'admin' | ProjectRole;

export interface Principal {
  role: Role;
  /** The project the request acts in: the token's own, or the one the admin chose. */
  project: string;
}

/** The header through which the admin token acts in a project other than `default`. */
export const PROJECT_HEADER = 'x-clusterflow-project';

export const ADMIN_ONLY = 'clusterflow:admin-only';
export const VIEWER_MAY_DRY_RUN = 'clusterflow:viewer-may-dry-run';

/** Marks a controller or handler that only the admin token reaches (projects, their tokens, the codec). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY, true);

/**
 * Marks a change route whose `?dryRun=true` changes nothing, so a viewer may ask it: a dry run
 * only reads (plans, preflight, prices), which is what a viewer is for.
 */
export const ViewerMayDryRun = (): MethodDecorator => SetMetadata(VIEWER_MAY_DRY_RUN, true);

/** Methods that never change anything: the only ones a viewer may send (besides dry runs). */
export const READ_METHODS = new Set(['GET', 'HEAD']);
