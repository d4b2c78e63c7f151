import { parseExpression, type ExpressionNode } from '../expression';
import { camelCase, type CompiledEntity } from '../model';
import { apiPropertyOf } from '../model/api-schema';

/** FormKit node id of a field's input, so conditions can read it with `$get(id).value`. */
export function inputId(entity: CompiledEntity, property: string): string {
  return `${entity.name}__${property}`;
}

/**
 * Translates a metadata expression (`status == 'CANCELLED' and quantity > 0`) into a FormKit schema
 * condition. A field of the form is read from its input (`$get(id).value`); a dot path through a
 * relation (`item.item_type`) from `$record`, the record being edited with its relations expanded;
 * functions from the schema data (`$len(...)`), which the UI runtime provides with the same semantics
 * as the expression language.
 */
export function formKitCondition(entity: CompiledEntity, expression: string): string {
  return translate(entity, parseExpression(expression));
}

function translate(entity: CompiledEntity, node: ExpressionNode): string {
  switch (node.kind) {
    case 'literal':
      if (typeof node.value === 'string')
        return `'${node.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      return String(node.value);
    case 'identifier':
      return identifier(entity, node.path);
    case 'unary':
      return node.operator === 'not'
        ? `!(${translate(entity, node.operand)})`
        : `-(${translate(entity, node.operand)})`;
    case 'list':
      return `[${node.items.map((item) => translate(entity, item)).join(', ')}]`;
    case 'call':
      return `$${node.name}(${node.args.map((arg) => translate(entity, arg)).join(', ')})`;
    case 'binary': {
      const left = translate(entity, node.left);
      if (node.operator === 'in' || node.operator === 'not in') {
        const items = node.right.kind === 'list' ? node.right.items : [node.right];
        const anyEqual = items.map((item) => `${left} == ${translate(entity, item)}`).join(' || ');
        return node.operator === 'in' ? `(${anyEqual})` : `!(${anyEqual})`;
      }
      const operator = node.operator === 'and' ? '&&' : node.operator === 'or' ? '||' : node.operator;
      return `(${left} ${operator} ${translate(entity, node.right)})`;
    }
  }
}

function identifier(entity: CompiledEntity, path: string[]): string {
  const field = entity.fieldsByName.get(path[0]);
  if (path.length === 1 && field) return `$get(${inputId(entity, apiPropertyOf(field))}).value`;
  return `$record.${path.map(camelCase).join('.')}`;
}
