import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { generateClusterSchema, SCHEMA_FILE } from '../../scripts/cluster-schema';

/**
 * schema/cluster.schema.json is generated from the OpenAPI document the API serves; a DTO
 * changed without `npm run schema` leaves editors checking files against the old contract.
 */
describe('the cluster file JSON Schema', () => {
  let generated: string;
  beforeAll(async () => {
    generated = await generateClusterSchema();
  });

  it('the committed schema is what the OpenAPI document gives now (run `npm run schema` after a DTO change)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(generated);
  });

  it('states the defaults the API applies and the file header', () => {
    const schema = JSON.parse(generated);
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'name', 'profile', 'cloud', 'pools']));
    expect(schema.properties.apiVersion).toEqual({ const: 'clusterflow.io/v1' });
    expect(schema.definitions.PlacementDto.properties.vpcCidr.default).toBe('10.0.0.0/16');
    expect(schema.definitions.PlacementDto.required).toEqual(['type']);
  });

  it('every example names the schema and uses only fields it knows', () => {
    const schema = JSON.parse(generated);
    const dir = path.join(__dirname, '..', '..', 'examples');
    const examples = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(examples.sort()).toEqual(['dynamic-cluster.yaml', 'spot-cluster.yaml', 'static-cluster.yaml']);
    for (const example of examples) {
      const text = fs.readFileSync(path.join(dir, example), 'utf8');
      expect(text).toContain('# yaml-language-server: $schema=../schema/cluster.schema.json');
      const doc = parse(text);
      expect({ example, unknown: Object.keys(doc).filter((k) => !(k in schema.properties)) }).toEqual({ example, unknown: [] });
      for (const key of Object.keys(doc.cloud)) expect(schema.definitions.CloudDto.properties).toHaveProperty([key]);
      for (const pool of doc.pools) for (const key of Object.keys(pool)) expect(schema.definitions.PoolDto.properties).toHaveProperty([key]);
    }
  });
});
