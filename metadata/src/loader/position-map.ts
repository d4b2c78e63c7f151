import { isMap, isNode, isPair, isScalar, isSeq, Scalar, type LineCounter, type Node } from 'yaml';
import { appendPointer, parentPointer } from './json-pointer';

export interface SourcePosition {
  line: number;
  col: number;
}

/** Where every value (and every mapping key) of a document sits in its source file. */
export class PositionMap {
  private readonly values = new Map<string, SourcePosition>();
  private readonly keys = new Map<string, SourcePosition>();
  /** One-line string scalars: how far their text starts after the value start (1 past a quote). */
  private readonly inlineStrings = new Map<string, number>();

  constructor(root: Node | null, lineCounter: LineCounter) {
    if (root) this.record(root, '', lineCounter);
  }

  /**
   * Position of the value at `path`, or of its key when `at` is `key` (unknown-key errors point at
   * the key). A path absent from the source (a missing property) falls back to its nearest ancestor.
   */
  locate(path: string, at: 'value' | 'key' = 'value'): SourcePosition {
    if (at === 'key') {
      const key = this.keys.get(path);
      if (key) return key;
    }
    for (let current = path; ; current = parentPointer(current)) {
      const found = this.values.get(current);
      if (found) return found;
      if (current === '') return { line: 1, col: 1 };
    }
  }

  /**
   * Position of the character at `offset` (0-based) inside the string value at `path`, for errors
   * inside expressions. Exact for plain and quoted one-line scalars; otherwise the value's start.
   */
  locateInValue(path: string, offset: number): SourcePosition {
    const start = this.locate(path);
    const contentStart = this.inlineStrings.get(path);
    return contentStart === undefined ? start : { line: start.line, col: start.col + contentStart + offset };
  }

  private record(node: Node, path: string, lineCounter: LineCounter): void {
    if (node.range) this.values.set(path, lineCounter.linePos(node.range[0]));
    if (isScalar(node) && node.range && typeof node.value === 'string') {
      const oneLine = lineCounter.linePos(node.range[0]).line === lineCounter.linePos(node.range[1]).line;
      const quoted = node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE;
      if (oneLine && (quoted || node.type === Scalar.PLAIN)) this.inlineStrings.set(path, quoted ? 1 : 0);
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const childPath = appendPointer(path, key);
        const keyPosition =
          isScalar(keyNode) && keyNode.range ? lineCounter.linePos(keyNode.range[0]) : undefined;
        if (keyPosition) this.keys.set(childPath, keyPosition);
        if (isNode(pair.value)) this.record(pair.value, childPath, lineCounter);
        else if (keyPosition) this.values.set(childPath, keyPosition);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        if (isNode(item)) this.record(item, appendPointer(path, index), lineCounter);
      });
    }
  }
}
