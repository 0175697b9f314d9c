"""Extractive answers: the retrieved article's own sentences, with the article as the source.

:func:`extract` returns the article's opening paragraph plus the section that best matches the
question (by the question's stems found in the section), so every sentence of the answer is a
sentence of the cited article. :func:`brl` formats integer cents as Brazilian reais.
"""

from __future__ import annotations

from serving.chat.kb import Article, Passage, Section
from serving.chat.text import tokens

NOT_UNDERSTOOD = (
    "Desculpe, não entendi a sua pergunta. Pode escrever de outro jeito? Abri um chamado para que um "
    "atendente leia a nossa conversa e te responda."
)


def brl(cents: int) -> str:
    """``123456`` -> ``"R$ 1.234,56"`` (integer arithmetic, never float)."""
    sign = "-" if cents < 0 else ""
    reais, c = divmod(abs(int(cents)), 100)
    return f"{sign}R$ {reais:,}".replace(",", ".") + f",{c:02d}"


def best_section(article: Article, question: str, hint: Passage | None = None) -> Section | None:
    """The body section (not the opening) sharing most stems with the question; the retriever's
    passage breaks ties; None when the article has only its opening paragraph."""
    body = list(article.sections[1:])
    if not body:
        return None
    q = set(tokens(question))
    hinted = hint.section if hint is not None and hint.question is None else None

    def score(s: Section) -> tuple[int, int]:
        return (len(q & set(tokens(f"{s.heading} {s.text}"))), int(s == hinted))

    best = max(body, key=score)
    return best if score(best) > (0, 0) else None


def extract(article: Article, question: str, hint: Passage | None = None) -> str:
    parts = [article.summary]
    section = best_section(article, question, hint)
    if section is not None:
        parts.append(f"**{section.heading}**\n{section.text}")
    return "\n\n".join(parts)
