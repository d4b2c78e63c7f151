/** Values an expression computes with. Context values outside these types evaluate as null. */
export type ExpressionValue = string | number | boolean | null | Date | ExpressionValue[];

/** The record (and anything else) expressions read through identifiers and dot paths. */
export type ExpressionContext = Readonly<Record<string, unknown>>;
