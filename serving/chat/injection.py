"""Prompt-injection detection: messages that try to change the assistant's rules or extract its prompt.

The assistant's behaviour never depends on what a message asks of it (answers come from the articles
and from the caller's own data, looked up by the caller's identity); detection only decides that the
message is answered with the fixed refusal :data:`REFUSAL` (and is flagged in the stored transcript)
instead of being retrieved on or sent to an LLM. Patterns are matched on folded text (no accents,
lower case), in Portuguese and English.
"""

from __future__ import annotations

import re

from serving.chat.text import fold

_PATTERNS = [
    r"\b(ignor\w*|esquec\w*|desconsider\w*|desobedec\w*|ignore|forget|disregard)\b.{0,40}"
    r"\b(instruc\w*|regras?|orientac\w*|prompt|comandos?|diretrizes|instructions?|rules|above|anteriores)\b",
    r"\b(prompt|instruc\w*) (do|de) sistema\b",
    r"\bsystem prompt\b",
    r"\b(revel\w*|mostr\w*|repit\w*|imprim\w*|print|reveal|show|repeat)\b.{0,30}\b(prompt|instruc\w* (iniciais|originais|internas|do sistema))\b",
    r"\b(voce agora e|a partir de agora voce|finja (que|ser)|aja como|atue como|you are now|act as|pretend)\b",
    r"\b(modo|mode) (desenvolvedor|developer|dan|deus|admin\w*|root|debug)\b",
    r"\bjailbreak\b",
    r"</?(system|assistant|instructions?)>",
    r"\b(role|papel)\s*[:=]\s*(system|sistema)\b",
]
_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))

REFUSAL = (
    "Não posso mudar as minhas regras nem mostrar instruções internas. Eu respondo dúvidas sobre o "
    "cofre com base nos nossos artigos de ajuda e, quando você está logado, sobre a sua própria conta. "
    "Como posso ajudar?"
)


def is_injection(text: str) -> bool:
    return _RE.search(fold(text)) is not None
