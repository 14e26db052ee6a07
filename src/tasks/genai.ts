import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  GEN_AI_PROVIDER_NAME_VALUE_DEEPSEEK,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  GEN_AI_PROVIDER_NAME_VALUE_MISTRAL_AI,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  GEN_AI_PROVIDER_NAME_VALUE_X_AI,
} from '@opentelemetry/semantic-conventions/incubating';

/**
 * Model name prefixes that tell the provider, in the convention's provider values. The autopilot's
 * logs name the model, not the API it went through: a model family names its maker's API, which is
 * what the agents call (Bedrock or Vertex hosting is not visible in the logs, so never guessed).
 */
const PROVIDERS: readonly [RegExp, string][] = [
  [/^claude/, GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC],
  [/^(gpt|o\d|codex|chatgpt|text-davinci)/, GEN_AI_PROVIDER_NAME_VALUE_OPENAI],
  [/^gemini/, GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI],
  [/^(mistral|codestral|devstral|magistral)/, GEN_AI_PROVIDER_NAME_VALUE_MISTRAL_AI],
  [/^deepseek/, GEN_AI_PROVIDER_NAME_VALUE_DEEPSEEK],
  [/^grok/, GEN_AI_PROVIDER_NAME_VALUE_X_AI],
];

/** The gen_ai.provider.name a model name tells, or undefined when it tells none. */
export function providerOf(model: string | undefined): string | undefined {
  const m = model?.trim().toLowerCase();
  if (!m) return undefined;
  return PROVIDERS.find(([re]) => re.test(m))?.[1];
}

/** An execution is one agent invocation in the GenAI conventions. */
export const EXECUTION_OPERATION = GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT;

/** The operation, model and provider attributes an execution's span and its GenAI metrics share. */
export function executionGenAiAttributes(model: string | undefined): Record<string, string> {
  const out: Record<string, string> = { [ATTR_GEN_AI_OPERATION_NAME]: EXECUTION_OPERATION };
  if (model) out[ATTR_GEN_AI_REQUEST_MODEL] = model;
  const provider = providerOf(model);
  if (provider) out[ATTR_GEN_AI_PROVIDER_NAME] = provider;
  return out;
}
