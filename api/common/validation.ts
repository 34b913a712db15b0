import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { ApiError, FieldProblem } from './error-shape';

/** Flattens class-validator's tree into one problem per field and rule, with dotted paths (`packs.0.version`). */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule,
      message: rule === 'whitelistValidation' ? `${field} is not a known field` : message,
    }));
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

/** Rejects bad input with a 400 that names every field and rule; unknown fields are refused, not dropped. */
export function contractValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const details = fieldProblems(errors);
      return new ApiError(400, details.map((d) => `${d.field}: ${d.message}`).join('; '), details);
    },
  });
}

/**
 * An optional field: it may be left out, but not sent as null. class-validator's IsOptional lets
 * null through every rule, while the OpenAPI document says optional, not nullable, and the
 * services take a left-out field for absent (a null `overrides` reached the profile resolver: 500).
 */
export const Optional = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);
