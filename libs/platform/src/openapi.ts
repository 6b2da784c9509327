import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath, type SchemaObject } from '@nestjs/swagger';

/** `{ items, nextCursor }` (API.md: "a page answers { items, nextCursor }") with `item` described by its class. */
function pageSchemaOf(item: Type<unknown>): SchemaObject {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: { $ref: getSchemaPath(item) } },
      nextCursor: { type: 'string', nullable: true, description: 'send it as ?cursor= for the next page; null on the last one' },
    },
  };
}

/**
 * A 200 answering a page of `item`s. The item class is registered as an extra model, so that
 * it appears under components/schemas without being any handler's declared return type.
 */
export function ApiPageResponse(item: Type<unknown>, description = 'A page'): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiExtraModels(item), ApiOkResponse({ schema: pageSchemaOf(item), description }));
}
