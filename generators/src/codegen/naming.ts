import { camelCase } from '../../../metadata/src/model';

/** `work_order` → `WorkOrder`: class and type names in generated code. */
export function pascalCase(snake: string): string {
  const camel = camelCase(snake);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** `work_order` → `work-order`: file names of generated outputs (the same as metadata file names). */
export function kebabCase(snake: string): string {
  return snake.replace(/_/g, '-');
}
