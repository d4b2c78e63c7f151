/** Nest injection token for the one EntityOperations implementation (crud/entity.service.ts). */
export const ENTITY_OPERATIONS = Symbol('EntityOperations');

/** Nest injection token for the kernel's ModelRegistry (the source of each request's Model). */
export const MODEL_REGISTRY = Symbol('ModelRegistry');
