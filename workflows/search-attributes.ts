/**
 * Search attributes that let a person find experiments and their failed examples in the
 * Temporal UI (e.g. `DxpExperiment = "demo" AND DxpStatus = "failed"`).
 * `dxp server` and the tests register them; on a server you run yourself, `dxp server setup`
 * (or the command client/search-attributes-check.ts prints) does.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTE_NAMES } from '../core/search-attribute-names';

const [EXPERIMENT, EXAMPLE, STATUS] = SEARCH_ATTRIBUTE_NAMES;
export const EXPERIMENT_NAME = defineSearchAttributeKey(EXPERIMENT, SearchAttributeType.KEYWORD);
export const EXAMPLE_ID = defineSearchAttributeKey(EXAMPLE, SearchAttributeType.KEYWORD);
/** Parent: running | completed | failed | cancelled. Child: running | succeeded | failed. */
export const RUN_STATUS = defineSearchAttributeKey(STATUS, SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [EXPERIMENT_NAME, EXAMPLE_ID, RUN_STATUS] as const;
