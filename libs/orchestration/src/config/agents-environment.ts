import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { intFromEnv } from './env-fields';

export const MODEL_PROVIDERS = ['offline', 'openai'] as const;
export type ModelProviderName = (typeof MODEL_PROVIDERS)[number];

/** `host`, `host:port` or `*.domain` (any subdomain of domain), lower case. */
const ALLOWED_HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/;

const MODEL_NAME = z.string().min(1).max(200);
/** SWITCHYARD_MODELS: agent type → its model, or its models in fallback order. */
const modelsByAgent = z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/), z.union([MODEL_NAME.transform((m) => [m]), z.array(MODEL_NAME).min(1).max(10)]));
const MODELS_MESSAGE =
  'SWITCHYARD_MODELS must be a JSON object of agent type to a model name or a list of model names (fallbacks in order), e.g. {"coder":["gpt-4o","gpt-4o-mini"]}';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The variables of the agents a worker hosts: which model provider the model-backed agents call,
 * and the limits of the tool agents. Part of the one environment schema (see switchyard-config.ts).
 */
export const agentsEnvironmentShape = {
  SWITCHYARD_MODEL_PROVIDER: z.enum(MODEL_PROVIDERS, { error: `SWITCHYARD_MODEL_PROVIDER must be one of ${MODEL_PROVIDERS.join(', ')}` }).default('offline'),
  SWITCHYARD_OPENAI_BASE_URL: z
    .string()
    .default('https://api.openai.com/v1')
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), 'SWITCHYARD_OPENAI_BASE_URL must be an http:// or https:// URL'),
  SWITCHYARD_OPENAI_API_KEY: z.string().optional(),
  SWITCHYARD_MODEL: z.string().max(200, 'SWITCHYARD_MODEL must be at most 200 characters').optional(),
  SWITCHYARD_MODEL_TIMEOUT_MS: intFromEnv('SWITCHYARD_MODEL_TIMEOUT_MS', 100, 3_600_000).default(60_000),
  SWITCHYARD_MODEL_MAX_RETRIES: intFromEnv('SWITCHYARD_MODEL_MAX_RETRIES', 0, 10).default(2),
  SWITCHYARD_MODELS: z
    .string()
    .default('{}')
    .transform((v, ctx) => {
      const parsed = modelsByAgent.safeParse(parseJson(v));
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: 'custom', message: MODELS_MESSAGE });
      return z.NEVER;
    }),
  SWITCHYARD_PROMPT_MAX_TOKENS: intFromEnv('SWITCHYARD_PROMPT_MAX_TOKENS', 256, 10_000_000).default(16_000),
  SWITCHYARD_PLAN_REPAIR_ROUNDS: intFromEnv('SWITCHYARD_PLAN_REPAIR_ROUNDS', 0, 10).default(2),
  SWITCHYARD_WORKSPACE_DIR: z.string().default(join(tmpdir(), 'switchyard-workspace')),
  SWITCHYARD_HTTP_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine((hosts) => hosts.every((h) => ALLOWED_HOST.test(h)), 'SWITCHYARD_HTTP_ALLOWED_HOSTS must be a comma-separated list of host, host:port or *.domain'),
  SWITCHYARD_HTTP_TIMEOUT_MS: intFromEnv('SWITCHYARD_HTTP_TIMEOUT_MS', 100, 600_000).default(30_000),
  SWITCHYARD_HTTP_MAX_RESPONSE_BYTES: intFromEnv('SWITCHYARD_HTTP_MAX_RESPONSE_BYTES', 1, 64 * 1024 * 1024).default(1024 * 1024),
};

type AgentsEnvironment = z.infer<z.ZodObject<typeof agentsEnvironmentShape>>;

/** Rules between variables: the OpenAI-compatible provider needs a model name. */
export function checkAgentsEnvironment(env: AgentsEnvironment, ctx: z.RefinementCtx): void {
  if (env.SWITCHYARD_MODEL_PROVIDER === 'openai' && !env.SWITCHYARD_MODEL) {
    ctx.addIssue({ code: 'custom', path: ['SWITCHYARD_MODEL'], message: 'SWITCHYARD_MODEL is required when SWITCHYARD_MODEL_PROVIDER is openai' });
  }
}

/** The model provider the model-backed agents use. */
export interface ModelConfig {
  readonly provider: ModelProviderName;
  /** Base URL of an OpenAI-compatible API, up to and including its `/v1`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; without one no Authorization header is sent. */
  readonly apiKey?: string;
  /** The model name asked for (openai), e.g. `gpt-4o-mini`, `llama3.1`. */
  readonly model?: string;
  /** How long one request may take. */
  readonly timeoutMs: number;
  /** How often a rate-limited (429) or failed (5xx, connection) request is tried again. */
  readonly maxRetries: number;
  /**
   * SWITCHYARD_MODELS: the models of an agent type, first the one asked for, then its fallbacks
   * (on a 5xx or a timeout); a type not listed uses SWITCHYARD_MODEL.
   */
  readonly byAgent: Readonly<Record<string, readonly string[]>>;
  /** Most tokens (estimated) a built-in agent's prompt may have; dependency results and context are trimmed to fit. */
  readonly promptMaxTokens: number;
  /** How often the planner may hand an invalid plan back to the model to repair it. */
  readonly planRepairRounds: number;
}

/** Limits of the tool agents. */
export interface ToolsConfig {
  /** The directory file_operations works in; nothing outside it is read or written. */
  readonly workspaceDir: string;
  /** Hosts api_integration may call: `host`, `host:port` or `*.domain`; empty refuses all. */
  readonly httpAllowedHosts: readonly string[];
  readonly httpTimeoutMs: number;
  readonly httpMaxResponseBytes: number;
}

export function toModelConfig(env: AgentsEnvironment): ModelConfig {
  return {
    provider: env.SWITCHYARD_MODEL_PROVIDER,
    baseUrl: env.SWITCHYARD_OPENAI_BASE_URL,
    apiKey: env.SWITCHYARD_OPENAI_API_KEY,
    model: env.SWITCHYARD_MODEL,
    timeoutMs: env.SWITCHYARD_MODEL_TIMEOUT_MS,
    maxRetries: env.SWITCHYARD_MODEL_MAX_RETRIES,
    byAgent: env.SWITCHYARD_MODELS,
    promptMaxTokens: env.SWITCHYARD_PROMPT_MAX_TOKENS,
    planRepairRounds: env.SWITCHYARD_PLAN_REPAIR_ROUNDS,
  };
}

export function toToolsConfig(env: AgentsEnvironment): ToolsConfig {
  return {
    workspaceDir: env.SWITCHYARD_WORKSPACE_DIR,
    httpAllowedHosts: env.SWITCHYARD_HTTP_ALLOWED_HOSTS,
    httpTimeoutMs: env.SWITCHYARD_HTTP_TIMEOUT_MS,
    httpMaxResponseBytes: env.SWITCHYARD_HTTP_MAX_RESPONSE_BYTES,
  };
}
