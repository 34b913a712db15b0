import type { Command } from 'commander';
import { isDeepStrictEqual } from 'node:util';
import { contextOf } from '../context';
import { CliError, EXIT } from '../exit-codes';
import type { ApiClient } from '../http';
import { seg } from '../http';
import { print, table } from '../render/output';
import { readResourceFile } from '../spec-file';

interface Pack {
  name: string;
  layer: string;
  version: string;
  values: Record<string, unknown>;
}
interface ProfileBody {
  name: string;
  description?: string;
  packs: Pack[];
}
interface ProfileView extends ProfileBody {
  id: string;
  builtIn: boolean;
  createdAt: string;
}

const profilesTable = (profiles: ProfileView[]) =>
  table(['ID', 'NAME', 'BUILT IN', 'PACKS', 'CREATED'], profiles.map((p) => [p.id, p.name, p.builtIn ? 'yes' : 'no', p.packs.map((k) => `${k.name}@${k.version}`).join(', '), p.createdAt]));

async function findProfile(client: ApiClient, idOrName: string): Promise<ProfileView | undefined> {
  const list = await client.get<ProfileView[]>('/v1/cluster-profiles');
  return list.find((p) => p.id === idOrName || p.name === idOrName);
}

export function registerProfiles(program: Command): void {
  const profiles = program.command('profiles').description('cluster profiles: the packs (OS, Kubernetes, CNI, CSI, add-ons) a cluster runs');
  profiles
    .command('list')
    .description("the project's profiles, the built-in ones included")
    .action(async (_: unknown, command: Command) => {
      const ctx = contextOf(command);
      const list = await ctx.client.get<ProfileView[]>('/v1/cluster-profiles');
      print(list, ctx.format, () => profilesTable(list));
    });
  profiles
    .command('get <profile>')
    .description('one profile, by id or name')
    .action(async (idOrName: string, _: unknown, command: Command) => {
      const ctx = contextOf(command);
      const found = await findProfile(ctx.client, idOrName);
      const profile = await ctx.client.get<ProfileView>(`/v1/cluster-profiles/${seg(found?.id ?? idOrName)}`);
      print(profile, ctx.format, () => `${profilesTable([profile])}\n${table(['PACK', 'LAYER', 'VERSION', 'VALUES'], profile.packs.map((p) => [p.name, p.layer, p.version, JSON.stringify(p.values)]))}`);
    });
  profiles
    .command('apply')
    .description('create the profile a file describes (kind: ClusterProfile); one of that name with the same packs is left as it is')
    .requiredOption('-f, --file <file>', 'the profile file (- for stdin)')
    .action(async (opts: { file: string }, command: Command) => {
      const body = readResourceFile<ProfileBody>(opts.file, 'ClusterProfile');
      const ctx = contextOf(command);
      const existing = await findProfile(ctx.client, body.name);
      if (existing) {
        const same = isDeepStrictEqual(existing.packs, body.packs) && (existing.description ?? undefined) === (body.description ?? undefined);
        // Profiles have no update route: a changed one is a new profile (clusters move with `PUT …/profile`).
        if (!same) throw new CliError(`profile ${body.name} exists (${existing.id}) with other packs or description; profiles are not changed in place: apply it under a new name`, EXIT.failed);
        print(existing, ctx.format, () => `profile ${body.name} unchanged (${existing.id})`);
        return;
      }
      const created = await ctx.client.request<ProfileView>('POST', '/v1/cluster-profiles', body);
      print(created, ctx.format, () => `profile ${created.name} created (${created.id})`);
    });
}
