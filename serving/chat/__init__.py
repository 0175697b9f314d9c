"""The support assistant: a Portuguese chatbot grounded in cofre's help articles and the caller's own data.

Modules: :mod:`.text` (normalisation), :mod:`.kb` (knowledge-base loader), :mod:`.retrieval` (BM25,
embeddings, fusion), :mod:`.compose` (extractive answers), :mod:`.llm` (OpenAI-compatible generation),
:mod:`.mask` (personal data masking), :mod:`.injection` (prompt-injection detection), :mod:`.intents`
(account questions answered from the gateway's own data), :mod:`.store` (conversations and tickets in
the log store), :mod:`.limits` (the per-user chat rate limit) and :mod:`.assistant`, which ties them
together. The HTTP surface is :mod:`serving.api.chat`.
"""
