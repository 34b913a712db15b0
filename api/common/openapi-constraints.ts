import type { Type } from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/**
 * The DTOs' class-validator rules, stated in their OpenAPI schemas: the decorators are the one
 * source of truth, and the document says what they enforce (patterns, lengths, ranges, enums,
 * array sizes, required fields, no unknown fields), so a client generated from it builds only
 * bodies the API accepts. A constraint this table does not know is reported, never dropped.
 */

type Keywords = Partial<SchemaObject>;

/** What each class-validator constraint (by its metadata name) says in JSON Schema. */
const KEYWORDS: Record<string, (constraints: unknown[]) => Keywords> = {
  isString: () => ({ type: 'string' }),
  isInt: () => ({ type: 'integer' }),
  isBoolean: () => ({ type: 'boolean' }),
  isArray: () => ({ type: 'array' }),
  isObject: () => ({ type: 'object' }),
  matches: ([pattern]) => ({ type: 'string', pattern: (pattern as RegExp).source }),
  isLength: ([min, max]) => ({ type: 'string', minLength: min as number, ...(max === undefined ? {} : { maxLength: max as number }) }),
  minLength: ([min]) => ({ type: 'string', minLength: min as number }),
  maxLength: ([max]) => ({ type: 'string', maxLength: max as number }),
  min: ([min]) => ({ minimum: min as number }),
  max: ([max]) => ({ maximum: max as number }),
  isIn: ([values]) => ({ enum: [...(values as unknown[])] }),
  arrayMinSize: ([min]) => ({ type: 'array', minItems: min as number }),
  arrayMaxSize: ([max]) => ({ type: 'array', maxItems: max as number }),
};

/** The JSON Schema keywords one constraint states, or undefined when the table does not know it. */
export function constraintKeywords(meta: Pick<ValidationMetadata, 'name' | 'constraints'>): Keywords | undefined {
  const keywords = meta.name ? KEYWORDS[meta.name] : undefined;
  return keywords?.(meta.constraints ?? []);
}

/**
 * Every class class-validator holds rules for, and the `bodies` given (a DTO that only inherits
 * its rules, e.g. through OmitType, holds none of its own), each with its rules, inherited ones included.
 */
export function validatedClasses(bodies: Type[] = []): Map<Type, ValidationMetadata[]> {
  const storage = getMetadataStorage();
  // The storage keeps its targets private; its own lookup gives each one's rules with its parents'.
  const targets = [...(storage as unknown as { validationMetadatas: Map<unknown, unknown> }).validationMetadatas.keys(), ...bodies];
  const rules = targets.filter((t): t is Type => typeof t === 'function').map((t): [Type, ValidationMetadata[]] => [t, storage.getTargetValidationMetadatas(t, '', true, false)]);
  return new Map(rules.filter(([, metas]) => metas.length > 0));
}

/** The classes the controllers' handlers take as parameters: the request bodies among them. */
export function handlerParameterClasses(controllers: Type[]): Type[] {
  const found = new Set<Type>();
  for (const controller of controllers) {
    for (const method of Object.getOwnPropertyNames(controller.prototype)) {
      const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, method) ?? []) as unknown[];
      for (const type of types) if (typeof type === 'function' && ![String, Number, Boolean, Object, Array, Promise].includes(type as never)) found.add(type as Type);
    }
  }
  return [...found];
}

/** A property is optional when a condition (IsOptional, api/common/validation.ts's Optional, ValidateIf) can skip its rules. */
export function isConditional(meta: ValidationMetadata): boolean {
  return meta.type === 'conditionalValidation';
}

/**
 * States each DTO's rules in its component schema, in place. Returns the constraints it could
 * not state (`Class.property: name`), which the unit test requires to be none.
 */
export function stateValidationRules(schemas: Record<string, SchemaObject>, bodies: Type[]): string[] {
  const unknown: string[] = [];
  for (const [target, metas] of validatedClasses(bodies)) {
    const schema = schemas[target.name];
    if (!schema) continue;
    const byProperty = new Map<string, ValidationMetadata[]>();
    for (const meta of metas) byProperty.set(meta.propertyName, [...(byProperty.get(meta.propertyName) ?? []), meta]);
    schema.type = 'object';
    schema.properties ??= {};
    // forbidNonWhitelisted: a field the DTO does not declare is a 400, not ignored.
    schema.additionalProperties = false;
    const required: string[] = [];
    for (const [property, rules] of byProperty) {
      const stated = (schema.properties[property] ??= {}) as SchemaObject;
      if (!rules.some(isConditional)) required.push(property);
      for (const rule of rules) {
        if (rule.type !== 'customValidation') continue;
        const keywords = constraintKeywords(rule);
        if (!keywords) {
          unknown.push(`${target.name}.${property}: ${rule.name ?? rule.type}`);
          continue;
        }
        stateOn(stated, keywords, rule.each);
      }
    }
    if (required.length > 0) schema.required = required;
    else delete schema.required;
  }
  return unknown;
}

/** Puts the keywords on the property, or on its items for an `each` rule; a `$ref`'d object keeps its reference alone. */
function stateOn(property: SchemaObject & { $ref?: string }, keywords: Keywords, each: boolean): void {
  if (each) {
    property.type = 'array';
    const items = (property.items ??= {}) as SchemaObject;
    Object.assign(items, keywords);
    return;
  }
  const referenced = property.$ref !== undefined || property.allOf !== undefined;
  const { type, ...rest } = keywords;
  if (type && !referenced && !(type === 'array' && property.type === 'array') && !(type === 'string' && property.type === 'string' && property.format)) property.type = type;
  if (type === 'array' && !property.items && !referenced) property.items = {};
  Object.assign(property, rest);
}
