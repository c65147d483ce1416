"""Model access: tokens (tiktoken), prompts, the OpenAI-compatible client, the extractive answerer."""
