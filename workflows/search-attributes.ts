/**
 * Search attributes that let a person find experiments and their failed examples in the
 * Temporal UI (e.g. `DxpExperiment = "demo" AND DxpStatus = "failed"`).
 * `dxp server` and the tests register them; on another cluster run
 * `temporal operator search-attribute create --name <Name> --type Keyword` for each.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const EXPERIMENT_NAME = defineSearchAttributeKey('DxpExperiment', SearchAttributeType.KEYWORD);
export const EXAMPLE_ID = defineSearchAttributeKey('DxpExampleId', SearchAttributeType.KEYWORD);
/** Parent: running | completed | failed | cancelled. Child: running | succeeded | failed. */
export const RUN_STATUS = defineSearchAttributeKey('DxpStatus', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [EXPERIMENT_NAME, EXAMPLE_ID, RUN_STATUS] as const;
