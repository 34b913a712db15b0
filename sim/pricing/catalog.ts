import { createHash } from 'node:crypto';
import data from '../data/aws-prices.json';

/**
 * The price list the simulator's Pricing API serves, built from sim/data/aws-prices.json
 * (real published AWS prices; the file says where from and when): EC2 on-demand Linux
 * shared-tenancy compute, NAT gateway hours and bytes, and Elastic Load Balancing
 * (network, application, classic) hours and units, in AWS's own attribute vocabulary.
 */

export interface Product {
  sku: string;
  serviceCode: 'AmazonEC2' | 'AWSELB';
  productFamily: string;
  attributes: Record<string, string>;
  /** USD per unit, as AWS prints it (10 decimals). */
  usd: string;
  unit: string;
  description: string;
}

interface TypeFacts {
  vcpu: number;
  memoryGiB: number;
  instanceFamily: string;
  gpu?: number;
  storage?: string;
}

const TYPES = data.instanceTypes as Record<string, TypeFacts>;
const REGIONS = data.regions as Record<string, { location: string; usagePrefix: string }>;
const ON_DEMAND = data.onDemandLinuxHourlyUsd as Record<string, Record<string, string>>;

export const PRICE_LIST_VERSION = '20261125000000';
export const PRICE_LIST_PUBLICATION_DATE = '2026-11-25T00:00:00Z';
export const PRICE_EFFECTIVE_DATE = '2026-11-01T00:00:00Z';
/** AWS's global codes of the on-demand offer term and its hourly price dimension. */
export const ON_DEMAND_TERM = 'JRTCKXETXF';
export const PRICE_DIMENSION = '6YS6EN2CT7';

function skuOf(...parts: string[]): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const digest = createHash('sha256').update(parts.join('|')).digest();
  let sku = '';
  for (let i = 0; i < 16; i++) sku += alphabet[digest[i] % alphabet.length];
  return sku;
}

function usd(value: string): string {
  return Number(value).toFixed(10);
}

function regionAttributes(region: string): Record<string, string> {
  const facts = REGIONS[region];
  return { location: facts.location, locationType: 'AWS Region', regionCode: region };
}

function buildCatalog(): Product[] {
  const products: Product[] = [];
  for (const region of Object.keys(REGIONS)) {
    const prefix = REGIONS[region].usagePrefix;
    for (const [instanceType, price] of Object.entries(ON_DEMAND[region] ?? {})) {
      const facts = TYPES[instanceType];
      if (!facts) continue;
      const attributes: Record<string, string> = {
        servicecode: 'AmazonEC2',
        servicename: 'Amazon Elastic Compute Cloud',
        ...regionAttributes(region),
        instanceType,
        instanceFamily: facts.instanceFamily,
        vcpu: String(facts.vcpu),
        memory: `${facts.memoryGiB} GiB`,
        storage: facts.storage ?? 'EBS only',
        currentGeneration: 'Yes',
        processorArchitecture: '64-bit',
        operatingSystem: 'Linux',
        tenancy: 'Shared',
        preInstalledSw: 'NA',
        licenseModel: 'No License required',
        capacitystatus: 'Used',
        marketoption: 'OnDemand',
        operation: 'RunInstances',
        usagetype: `${prefix}BoxUsage:${instanceType}`,
      };
      if (facts.gpu !== undefined) attributes.gpu = String(facts.gpu);
      products.push({
        sku: skuOf('AmazonEC2', attributes.usagetype, attributes.operation, region),
        serviceCode: 'AmazonEC2',
        productFamily: 'Compute Instance',
        attributes,
        usd: usd(price),
        unit: 'Hrs',
        description: `$${price} per On Demand Linux ${instanceType} Instance Hour`,
      });
    }

    const nat = (data.natGatewayUsd as Record<string, { hourly: string; perGbProcessed: string }>)[region];
    if (nat) {
      const common = { servicecode: 'AmazonEC2', servicename: 'Amazon Elastic Compute Cloud', ...regionAttributes(region), operation: 'NatGateway', group: 'NGW:NatGateway' };
      const hours = { ...common, usagetype: `${prefix}NatGateway-Hours`, groupDescription: 'Hourly charge for NAT Gateways' };
      const bytes = { ...common, usagetype: `${prefix}NatGateway-Bytes`, groupDescription: 'Charge for per GB data processed by NAT Gateways' };
      products.push({
        sku: skuOf('AmazonEC2', hours.usagetype, region),
        serviceCode: 'AmazonEC2',
        productFamily: 'NAT Gateway',
        attributes: hours,
        usd: usd(nat.hourly),
        unit: 'Hrs',
        description: `$${nat.hourly} per NAT Gateway Hour`,
      });
      products.push({
        sku: skuOf('AmazonEC2', bytes.usagetype, region),
        serviceCode: 'AmazonEC2',
        productFamily: 'NAT Gateway',
        attributes: bytes,
        usd: usd(nat.perGbProcessed),
        unit: 'GB',
        description: `$${nat.perGbProcessed} per GB Data Processed by NAT Gateways`,
      });
    }

    const lb = (data.loadBalancerUsd as Record<string, Record<string, Record<string, string>>>)[region];
    if (lb) {
      const common = { servicecode: 'AWSELB', servicename: 'Elastic Load Balancing', ...regionAttributes(region) };
      const add = (productFamily: string, operation: string, usagetype: string, price: string, unit: string, description: string, groupDescription: string): void => {
        const attributes = { ...common, operation, usagetype: `${prefix}${usagetype}`, groupDescription };
        products.push({
          sku: skuOf('AWSELB', attributes.usagetype, operation, region),
          serviceCode: 'AWSELB',
          productFamily,
          attributes,
          usd: usd(price),
          unit,
          description,
        });
      };
      add('Load Balancer-Network', 'LoadBalancing:Network', 'LoadBalancerUsage', lb.network.hourly, 'Hrs',
        `$${lb.network.hourly} per Network LoadBalancer-hour (or partial hour)`, 'LoadBalancer hourly usage by Network Load Balancer');
      add('Load Balancer-Network', 'LoadBalancing:Network', 'LCUUsage', lb.network.perLcuHour, 'LCU-Hrs',
        `$${lb.network.perLcuHour} per Network LCU-hour (or partial hour)`, 'Used Network Load Balancer capacity units-hr');
      add('Load Balancer-Application', 'LoadBalancing:Application', 'LoadBalancerUsage', lb.application.hourly, 'Hrs',
        `$${lb.application.hourly} per Application LoadBalancer-hour (or partial hour)`, 'LoadBalancer hourly usage by Application Load Balancer');
      add('Load Balancer-Application', 'LoadBalancing:Application', 'LCUUsage', lb.application.perLcuHour, 'LCU-Hrs',
        `$${lb.application.perLcuHour} per Application LCU-hour (or partial hour)`, 'Used Application Load Balancer capacity units-hr');
      add('Load Balancer', 'LoadBalancing', 'LoadBalancerUsage', lb.classic.hourly, 'Hrs',
        `$${lb.classic.hourly} per LoadBalancer-hour (or partial hour)`, 'LoadBalancer hourly usage');
      add('Load Balancer', 'LoadBalancing', 'DataProcessing-Bytes', lb.classic.perGbProcessed, 'GB',
        `$${lb.classic.perGbProcessed} per GB Data Processed by the LoadBalancer`, 'Data processed by LoadBalancer');
    }
  }
  return products;
}

export const CATALOG: readonly Product[] = buildCatalog();

/** The on-demand Linux hourly price of an instance type in a region, if the price list has it. */
export function onDemandPrice(region: string, instanceType: string): number | undefined {
  const price = ON_DEMAND[region]?.[instanceType];
  return price === undefined ? undefined : Number(price);
}

/** vCPUs of an instance type, if the price list knows it. */
export function vcpusOf(instanceType: string): number | undefined {
  return TYPES[instanceType]?.vcpu;
}

export function pricedInstanceTypes(region: string): string[] {
  return Object.keys(ON_DEMAND[region] ?? {});
}

/** One PriceList entry exactly as AWS's GetProducts serializes it (a JSON string). */
export function priceListEntry(product: Product): string {
  const term = `${product.sku}.${ON_DEMAND_TERM}`;
  const rateCode = `${term}.${PRICE_DIMENSION}`;
  return JSON.stringify({
    product: { productFamily: product.productFamily, attributes: product.attributes, sku: product.sku },
    serviceCode: product.serviceCode,
    terms: {
      OnDemand: {
        [term]: {
          priceDimensions: {
            [rateCode]: {
              unit: product.unit,
              endRange: 'Inf',
              description: product.description,
              appliesTo: [],
              rateCode,
              beginRange: '0',
              pricePerUnit: { USD: product.usd },
            },
          },
          sku: product.sku,
          effectiveDate: PRICE_EFFECTIVE_DATE,
          offerTermCode: ON_DEMAND_TERM,
          termAttributes: {},
        },
      },
    },
    version: PRICE_LIST_VERSION,
    publicationDate: PRICE_LIST_PUBLICATION_DATE,
  });
}
