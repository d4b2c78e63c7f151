/**
 * Lint rules of our own for `redocly lint` (see redocly.yaml).
 *
 * `mes/no-ambiguous-paths`: the recommended `no-ambiguous-paths` check, reading the path parameters'
 * schemas. Two paths are ambiguous when one request path could match both; a template segment whose
 * parameter is an integer (`{id}`) cannot match a literal segment that is not one (`by-code`), so
 * `/api/items/{id}/audit` and `/api/items/by-code/{code}` are told apart.
 */
const TEMPLATE = /^{(.+)}$/;

function pathParameterTypes(pathItem, components) {
  const types = new Map();
  const resolve = (parameter) => {
    const ref = parameter && parameter.$ref;
    if (typeof ref !== 'string') return parameter;
    return components?.parameters?.[ref.split('/').pop()];
  };
  const operations = Object.values(pathItem).filter((value) => value && typeof value === 'object');
  for (const parameter of [
    pathItem.parameters ?? [],
    ...operations.map((op) => op.parameters ?? []),
  ].flat()) {
    const resolved = resolve(parameter);
    if (resolved?.in === 'path') types.set(resolved.name, resolved.schema?.type);
  }
  return types;
}

function segmentsMayMatch(template, types, literal) {
  return types.get(template) !== 'integer' || /^\d+$/.test(literal);
}

function ambiguous(a, b) {
  if (a.segments.length !== b.segments.length) return false;
  return a.segments.every((segmentA, i) => {
    const segmentB = b.segments[i];
    const templateA = TEMPLATE.exec(segmentA)?.[1];
    const templateB = TEMPLATE.exec(segmentB)?.[1];
    if (templateA && templateB) return true;
    if (templateA) return segmentsMayMatch(templateA, a.types, segmentB);
    if (templateB) return segmentsMayMatch(templateB, b.types, segmentA);
    return segmentA === segmentB;
  });
}

function noAmbiguousPaths() {
  return {
    Root(root, { report, location }) {
      const seen = [];
      for (const [path, item] of Object.entries(root.paths ?? {})) {
        const current = { path, segments: path.split('/'), types: pathParameterTypes(item, root.components) };
        const other = seen.find((candidate) => ambiguous(candidate, current));
        if (other)
          report({
            message: `Paths should resolve unambiguously. Found two ambiguous paths: \`${other.path}\` and \`${path}\`.`,
            location: location.child(['paths', path]).key(),
          });
        seen.push(current);
      }
    },
  };
}

module.exports = function mesLintPlugin() {
  return { id: 'mes', rules: { oas3: { 'no-ambiguous-paths': noAmbiguousPaths } } };
};
