/**
 * The dry-run rule in one place, without zod (workflow code imports it: a zod import would
 * build every schema again in each workflow's sandbox).
 */

/** Examples a `dryRun: true` experiment takes. */
export const DRY_RUN_DEFAULT_COUNT = 10;

/** How many examples an experiment takes from its dataset: all, or its dry run's count. */
export function dryRunCap(dryRun: boolean | number): number {
  return dryRun === false ? Infinity : dryRun === true ? DRY_RUN_DEFAULT_COUNT : dryRun;
}
