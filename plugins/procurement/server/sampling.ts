/**
 * Sample sizes of ISO 2859-1 (ANSI/ASQ Z1.4), general inspection level II, single sampling, normal
 * inspection: the upper lot size of each code letter (A…Q) and its sample size.
 */
const LEVEL_II: readonly [maxLotSize: number, sampleSize: number][] = [
  [8, 2],
  [15, 3],
  [25, 5],
  [50, 8],
  [90, 13],
  [150, 20],
  [280, 32],
  [500, 50],
  [1200, 80],
  [3200, 125],
  [10000, 200],
  [35000, 315],
  [150000, 500],
  [500000, 800],
];
const LARGEST_SAMPLE = 1250;

/** IQC sample size for a lot: the level II sample, never more than the lot (100 % for tiny lots), at least 1. */
export function iqcSampleSize(lotSize: number): number {
  const row = LEVEL_II.find(([maxLotSize]) => lotSize <= maxLotSize);
  const sample = row ? row[1] : LARGEST_SAMPLE;
  return Math.max(1, Math.min(sample, Math.ceil(lotSize)));
}
