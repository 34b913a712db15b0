import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * The import rules of docs/architecture.md#layers, checked on the source: a layer that
 * reaches into one it must not (the API into activities/, common/ into anything) compiles
 * and runs fine, so only a test notices. Package imports are not the layers' concern; only
 * imports of the project's own folders are checked.
 */

type Layer = 'api' | 'workflows' | 'activities' | 'cloud' | 'store' | 'common' | 'cli' | 'console';

/**
 * What each layer may import besides itself. workflows/ gets only types from activities/, and
 * cli/ and console/ only types from common/ (checked apart): the CLI and the web console talk
 * to the server over HTTP alone, so none of the server's code may end up in them.
 */
const MAY_IMPORT: Record<Layer, string[]> = {
  api: ['common', 'store', 'cloud', 'workflows'],
  workflows: ['common', 'activities'],
  activities: ['common', 'store', 'cloud'],
  cloud: ['common', 'store'],
  store: ['common'],
  common: [],
  cli: ['common'],
  console: ['common'],
};

interface Import {
  from: string;
  specifier: string;
  /** Erased at compile time: `import type`, or every name marked `type`. */
  typeOnly: boolean;
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const clause = node.exportClause;
    return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
  }
  const clause = node.importClause;
  if (!clause) return false; // `import './x'` runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** Every module a source names: import and export declarations, `import x = require()`, `require()` and `import()`. */
export function importsOf(fileName: string, text: string): Import[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ from: fileName, specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ from: fileName, specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      const named = (ts.isIdentifier(callee) && callee.text === 'require') || callee.kind === ts.SyntaxKind.ImportKeyword;
      const resolved = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require' && callee.name.text === 'resolve';
      if (named || resolved) found.push({ from: fileName, specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ from: fileName, specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The top-level folder a relative import lands in, or undefined for a package. */
function folderOf(root: string, imp: Import): string | undefined {
  if (!imp.specifier.startsWith('.')) return undefined;
  const target = path.relative(root, path.resolve(path.dirname(imp.from), imp.specifier));
  return target.startsWith('..') ? '<outside the project>' : target.split(path.sep)[0];
}

/** The broken rules among `files` (paths under `root`, each with its source text), in words. */
export function violations(root: string, files: Array<{ file: string; text: string }>): string[] {
  const broken: string[] = [];
  for (const { file, text } of files) {
    const layer = path.relative(root, file).split(path.sep)[0] as Layer;
    if (!(layer in MAY_IMPORT)) continue;
    for (const imp of importsOf(file, text)) {
      const folder = folderOf(root, imp);
      if (folder === undefined || folder === layer) continue;
      const where = `${path.relative(root, file)} imports '${imp.specifier}'`;
      if (!MAY_IMPORT[layer].includes(folder)) broken.push(`${where}: ${layer}/ may not import from ${folder}/`);
      else if (layer === 'workflows' && folder === 'activities' && !imp.typeOnly) broken.push(`${where}: workflows/ may import only types from activities/ (use \`import type\`)`);
      else if ((layer === 'cli' || layer === 'console') && !imp.typeOnly) broken.push(`${where}: ${layer}/ may import only types from common/ (use \`import type\`)`);
    }
  }
  return broken;
}

function sourcesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** The tree to check: this checkout, or another one (an older commit, to see the test fail). */
const ROOT = path.resolve(process.env.LAYERS_ROOT ?? path.join(__dirname, '..', '..'));

describe('layers (docs/architecture.md#layers)', () => {
  it('every layer imports only what the table allows', () => {
    const files = (Object.keys(MAY_IMPORT) as Layer[]).flatMap((layer) => sourcesUnder(path.join(ROOT, layer)));
    // A scan that found nothing would pass whatever the tree holds.
    expect(files.length).toBeGreaterThan(50);
    for (const layer of Object.keys(MAY_IMPORT)) expect(files.some((f) => path.relative(ROOT, f).startsWith(`${layer}${path.sep}`))).toBe(true);
    const broken = violations(
      ROOT,
      files.map((file) => ({ file, text: fs.readFileSync(file, 'utf8') })),
    );
    expect(broken).toEqual([]);
  });

  describe('the check itself', () => {
    const at = (file: string, text: string) => ({ file: path.join('/repo', file), text });

    it('catches each kind of forbidden import', () => {
      const broken = violations('/repo', [
        at('api/clusters/x.ts', "import { createActivities } from '../../activities';"),
        at('api/clusters/y.ts', "import type { Scope } from '../../activities/types';"),
        at('common/z.ts', "import { Store } from '../store/store';"),
        at('common/w.ts', "export { guard } from '../cloud/aws-errors';"),
        at('workflows/v.ts', "import { preflightActivities } from '../activities/preflight';"),
        at('workflows/u.ts', "const a = require('../activities');"),
        at('cloud/t.ts', "import { ApiError } from '../api/common/error-shape';"),
        at('cloud/s.ts', "import { pollUntil } from '../activities/polling';"),
        at('cloud/r.ts', "import type { Accepted } from '../workflows/messages';"),
        at('store/q.ts', "import { withSession } from '../cloud/aws-session';"),
        at('activities/p.ts', "import { ClustersService } from '../api/clusters/clusters.service';"),
        at('cli/o.ts', "import { ApiClient } from '../api/app';"),
        at('cli/commands/n.ts', "import { capacityOf } from '../../common/cluster-spec';"),
        at('console/src/m.tsx', "import { operationWorkflowId } from '../../common/workflow-ids';"),
        at('console/src/l.ts', "import { ClustersService } from '../../api/clusters/clusters.service';"),
      ]);
      expect(broken).toHaveLength(15);
      expect(broken[13]).toMatch(/console\/ may import only types from common\//);
      expect(broken[14]).toMatch(/console\/ may not import from api\//);
      expect(broken[12]).toMatch(/cli\/ may import only types from common\//);
      expect(broken[0]).toBe("api/clusters/x.ts imports '../../activities': api/ may not import from activities/");
      expect(broken[4]).toMatch(/workflows\/ may import only types from activities\//);
    });

    it('lets through what the table allows', () => {
      expect(
        violations('/repo', [
          at('api/clusters/x.ts', "import { runPreflight } from '../../cloud/preflight';\nimport { planCluster } from '../../workflows/plan';\nimport { Logger } from '@nestjs/common';"),
          at('workflows/v.ts', "import type { Scope } from '../activities/types';\nimport { type InstanceInfo } from '../activities/types';\nimport { aws } from './activities';"),
          at('workflows/operations/o.ts', "import { aws } from '../activities';"),
          at('activities/p.ts', "import { withSession } from '../cloud/aws-session';\nimport { Store } from '../store/store';"),
          at('cloud/t.ts', "import { ClusterflowConfig } from '../common/config';\nimport { Store } from '../store/store';"),
          at('common/z.ts', "import * as path from 'node:path';\nimport { tags } from './tags';"),
          at('cli/commands/m.ts', "import type { ClusterSpec } from '../../common/cluster-spec';\nimport { Command } from 'commander';\nimport { seg } from '../http';"),
          at('console/src/pages/k.tsx', "import type { ClusterStatus } from '../../../common/cluster-status';\nimport { useState } from 'react';\nimport { call } from '../api';"),
        ]),
      ).toEqual([]);
    });
  });
});
