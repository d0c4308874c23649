/**
 * The data converter of the CLI and the worker: undefined without keys (payloads as the SDK
 * makes them, no cost), else AES-256-GCM on every payload and encoded failure messages.
 */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { codecKeysFromEnv } from './keys';

/** Path of the failure converter module, for the worker's workflow bundle and the SDK's loader. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The codec of DXP_CODEC_KEYS or DXP_CODEC_KEY_FILE; undefined when neither is set. Throws ConfigError. */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmCodec | undefined {
  const keys = codecKeysFromEnv(env);
  return keys ? new AesGcmCodec(keys) : undefined;
}

/** Throws ConfigError on a bad key setting, naming the variable. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH } : undefined;
}
