/** A seeded sample's plan: made once by the prepare activity, then applied page by page (see activities/datasets/sampling.ts). */
export interface SamplePlan {
  seed: number;
  stratifyBy?: string;
  /** stratum value → inclusive hash threshold */
  thresholds: Record<string, number>;
  selected: number;
  total: number;
}
