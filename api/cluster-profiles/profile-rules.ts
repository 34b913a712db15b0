import { packProblems } from '../../common/pack-schemas';
import { FieldProblem } from '../common/error-shape';
import { PackDto } from './cluster-profile.dto';

/**
 * What makes a set of packs a cluster: each pack a known one, with its version and values in
 * that pack's grammar (common/pack-schemas); exactly one OS and one Kubernetes pack, at most
 * one CNI and one CSI, and no pack twice. Breaking one is a 422, not a 400: each pack is
 * well-formed JSON, what it says is not something Clusterflow can install.
 */
export function profileRuleProblems(packs: PackDto[]): FieldProblem[] {
  const problems: FieldProblem[] = packs.flatMap((pack, index) => packProblems(pack, `packs.${index}`));
  const count = (layer: string): number => packs.filter((p) => p.layer === layer).length;
  for (const layer of ['os', 'k8s']) {
    if (count(layer) !== 1) {
      problems.push({ field: 'packs', rule: `one-${layer}-pack`, message: `packs must hold exactly one "${layer}" pack (found ${count(layer)})` });
    }
  }
  for (const layer of ['cni', 'csi']) {
    if (count(layer) > 1) {
      problems.push({ field: 'packs', rule: `at-most-one-${layer}-pack`, message: `packs may hold at most one "${layer}" pack (found ${count(layer)})` });
    }
  }
  const seen = new Set<string>();
  packs.forEach((pack, index) => {
    if (seen.has(pack.name)) {
      problems.push({ field: `packs.${index}.name`, rule: 'unique-pack-name', message: `pack "${pack.name}" appears more than once` });
    }
    seen.add(pack.name);
  });
  return problems;
}
