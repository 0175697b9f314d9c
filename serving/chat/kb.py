"""The knowledge base: Markdown help articles with YAML front matter, loaded and split into passages.

Each file of :data:`ARTICLES_DIR` (``serving/chat/articles/*.md``) starts with front matter::

    ---
    id: pix-enviar-como
    topic: pix-enviar            # one of TOPICS
    title: Como enviar um PIX
    updated: 2026-11-20
    tags: [pix, enviar, transferir]
    actions:                     # optional: app screens the answer links to
      - {label: Enviar um PIX, screen: pix/enviar}
    questions:                   # optional: how customers ask for this article (retrieval only)
      - como faço um pix
    ---

followed by the body: an opening paragraph (the summary) and ``## `` sections. Every section is a
passage (article title + section heading + section text) for retrieval; the opening paragraph is the
first passage. Each of the ``questions`` is a passage of its own (matched question to question by
the embedding model) that is never shown as an answer. :func:`load_kb` refuses a file with a missing field, an unknown topic or a duplicate id
(:class:`KnowledgeBaseError` names the file), and a knowledge base that leaves a topic uncovered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"

TOPICS: tuple[str, ...] = (
    "pix-enviar",
    "pix-limites",
    "pix-chaves",
    "pix-qr-code",
    "pix-devolucao",
    "golpe",
    "transferencia-retida",
    "extrato",
    "comprovante",
    "tarifas",
    "score",
    "score-melhorar",
    "credito-solicitar",
    "credito-negado",
    "investimentos-perfil",
    "open-finance",
    "lgpd-meus-dados",
    "lgpd-excluir",
    "lgpd-consentimentos",
    "biometria",
    "senha",
    "dispositivo",
    "documentos",
    "seguranca",
    "atendimento-humano",
)
REQUIRED = ("id", "topic", "title", "updated", "tags")
_FRONT = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class KnowledgeBaseError(ValueError):
    """A help article that cannot be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class Action:
    label: str
    screen: str

    def as_dict(self) -> dict[str, str]:
        return {"type": "open_screen", "label": self.label, "screen": self.screen}


@dataclass(frozen=True)
class Section:
    heading: str  # "" for the opening paragraph
    text: str


@dataclass(frozen=True)
class Article:
    id: str
    topic: str
    title: str
    updated: dt.date
    tags: tuple[str, ...]
    sections: tuple[Section, ...]
    actions: tuple[Action, ...] = ()
    questions: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)

    @property
    def summary(self) -> str:
        return self.sections[0].text if self.sections else ""

    @property
    def body(self) -> str:
        return "\n\n".join(s.text for s in self.sections)

    def source(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "topic": self.topic}


@dataclass(frozen=True)
class Passage:
    article: Article
    section: Section
    question: str | None = None  # set for an example question of the article

    @property
    def text(self) -> str:
        """What the retrievers index: the question, or title, tags, heading and the section's text."""
        if self.question is not None:
            return self.question
        head = f"{self.article.title}. {' '.join(self.article.tags)}."
        if self.section.heading:
            head += f" {self.section.heading}."
        return f"{head} {self.section.text}"


@dataclass(frozen=True)
class KnowledgeBase:
    articles: tuple[Article, ...]
    passages: tuple[Passage, ...]
    digest: str  # SHA-256 of every file's bytes (cache key of the passage embeddings)

    def by_id(self, article_id: str) -> Article:
        for a in self.articles:
            if a.id == article_id:
                return a
        raise KeyError(article_id)

    def by_topic(self, topic: str) -> list[Article]:
        return [a for a in self.articles if a.topic == topic]


def _sections(body: str) -> list[Section]:
    out: list[Section] = []
    heading, lines = "", []
    for line in body.strip().splitlines():
        if line.startswith("## "):
            if any(x.strip() for x in lines):
                out.append(Section(heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        elif line.startswith("# "):
            continue  # the title is in the front matter
        else:
            lines.append(line)
    if any(x.strip() for x in lines):
        out.append(Section(heading, "\n".join(lines).strip()))
    return out


def parse_article(path: Path, raw: str | None = None) -> Article:
    raw = path.read_text(encoding="utf-8") if raw is None else raw
    m = _FRONT.match(raw.replace("\r\n", "\n"))
    if not m:
        raise KnowledgeBaseError(f"{path.name}: no front matter (--- ... ---) at the top")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path.name}: front matter is not valid YAML: {exc}") from None
    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        raise KnowledgeBaseError(f"{path.name}: missing front matter field(s) {', '.join(missing)}")
    if meta["topic"] not in TOPICS:
        raise KnowledgeBaseError(f"{path.name}: unknown topic {meta['topic']!r}")
    if not _ID.match(str(meta["id"])):
        raise KnowledgeBaseError(f"{path.name}: id must be lower-case letters, digits and dashes")
    updated = meta["updated"]
    if not isinstance(updated, dt.date):
        try:
            updated = dt.date.fromisoformat(str(updated))
        except ValueError:
            raise KnowledgeBaseError(f"{path.name}: updated must be a date YYYY-MM-DD") from None
    tags = meta["tags"]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise KnowledgeBaseError(f"{path.name}: tags must be a list of strings")
    actions = []
    for a in meta.get("actions") or []:
        if not isinstance(a, dict) or not a.get("label") or not a.get("screen"):
            raise KnowledgeBaseError(f"{path.name}: each action needs a label and a screen")
        actions.append(Action(str(a["label"]), str(a["screen"])))
    questions = meta.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        raise KnowledgeBaseError(f"{path.name}: questions must be a list of non-empty strings")
    sections = _sections(m.group(2))
    if not sections:
        raise KnowledgeBaseError(f"{path.name}: the article has no text")
    return Article(
        id=str(meta["id"]),
        topic=str(meta["topic"]),
        title=str(meta["title"]),
        updated=updated,
        tags=tuple(tags),
        sections=tuple(sections),
        actions=tuple(actions),
        questions=tuple(q.strip() for q in questions),
        path=path,
    )


def load_kb(folder: Path = ARTICLES_DIR, *, require_all_topics: bool = True) -> KnowledgeBase:
    files = sorted(folder.glob("*.md"))
    digest = hashlib.sha256()
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    for f in files:
        raw = f.read_bytes()
        digest.update(f.name.encode() + b"\0" + raw)
        art = parse_article(f, raw.decode("utf-8"))
        if art.id in seen:
            raise KnowledgeBaseError(f"{f.name}: id {art.id!r} already used by {seen[art.id].name}")
        seen[art.id] = f
        articles.append(art)
    if require_all_topics:
        missing = sorted(set(TOPICS) - {a.topic for a in articles})
        if missing:
            raise KnowledgeBaseError(f"{folder}: no article for topic(s) {', '.join(missing)}")
    passages = tuple(Passage(a, s) for a in articles for s in a.sections) + tuple(
        Passage(a, a.sections[0], question=q) for a in articles for q in a.questions
    )
    return KnowledgeBase(tuple(articles), passages, digest.hexdigest())
