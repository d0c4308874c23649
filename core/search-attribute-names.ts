/** Names of this project's search attributes (all Keyword), as plain strings: no SDK import, so the CLI can name them cheaply. */
export const SEARCH_ATTRIBUTE_NAMES = ['DxpExperiment', 'DxpExampleId', 'DxpStatus'] as const;
