/** What a model call cost, from the price table (USD per million tokens by model name). */
import type { PriceTable } from './config';
import type { ChatUsage } from './types';

/** USD for the usage at the table's prices for `models[0]`, else `models[1]`, ...; undefined when none is priced. */
export function costOf(usage: Pick<ChatUsage, 'promptTokens' | 'completionTokens'>, prices: PriceTable, ...models: Array<string | undefined>): number | undefined {
  for (const model of models) {
    const price = model === undefined ? undefined : prices[model];
    if (price) {
      const usd = (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
      return Math.round(usd * 1e10) / 1e10;
    }
  }
  return undefined;
}
