"""Support assistant retrieval pieces: Portuguese normalisation (accents folded before stemming,
multi-word expressions, bank names, "de graça"), the typo fixer leaving real words alone, the lexical
index's title/tag weighting, the encoder's input cap and concurrent use, and the per-topic gather
(property test against a plain loop)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from serving.chat.kb import KnowledgeBase, load_kb
from serving.chat.retrieval import (
    MAX_QUERY_WORDS,
    TITLE_TAGS_REPEAT,
    Encoder,
    LexicalRetriever,
    TopicGroups,
    encoder_slots,
    lexical_text,
    query_text,
    speller_for,
)
from serving.chat.text import Speller, tokens, words

KB = load_kb()


@pytest.fixture(scope="module")
def lexical() -> LexicalRetriever:
    return LexicalRetriever(KB)


def test_accents_are_folded_before_stemming() -> None:
    assert tokens("Não consigo fazer a transferência") == tokens("nao consigo fazer a transferencia")
    assert tokens("cobrança") == tokens("cobranca")


def test_multi_word_expressions_mean_what_they_say() -> None:
    # "esquecimento" alone stems like "esqueci" (a forgotten password); the expression is erasure
    assert words("Direito ao esquecimento, como peço?")[:2] == ["excluir", "dados"]
    assert "esquec" not in tokens("direito ao esquecimento")
    assert "gratis" in words("é tudo de graça mesmo?")
    assert words("trazer dados do Banco do Brasil") == ["trazer", "dados", "do", "outro", "banco"]


def test_other_banks_by_name_are_other_banks() -> None:
    for bank in ("nubank", "Itaú", "bradesco", "santander", "picpay", "mercado pago"):
        assert tokens(f"conectar minha conta do {bank}") == tokens("conectar minha conta do outro banco")


def test_the_speller_fixes_typos_but_not_other_forms_of_known_words() -> None:
    vocab = {"senha": 9, "seguranca": 5, "segura": 7, "pelo": 3}
    plain = Speller(vocab)
    assert plain.correct("sehna") == "senha"  # adjacent swap
    assert plain.correct("seguro") == "segura"  # one substitution away: the old behaviour
    knowing = Speller(vocab, known_stems=frozenset(tokens("seguranca segura senha pelo")))
    assert knowing.correct("seguro") == "seguro"  # "seguro" is a form of "segurança", not a typo
    assert knowing.correct("sehna") == "senha"
    kb_speller = speller_for(KB)
    assert kb_speller.fix("o cofre é seguro?") == "o cofre e seguro"
    assert kb_speller.fix("esqueci a snha") == "esqueci a senha"


def test_lexical_index_counts_title_and_tags_more_than_once() -> None:
    section = next(p for p in KB.passages if p.question is None)
    text = lexical_text(section)
    assert text.count(section.article.title) == TITLE_TAGS_REPEAT
    assert text.endswith(section.text)
    example = next(p for p in KB.passages if p.question is not None)
    assert lexical_text(example) == example.question


def test_lexical_retriever_understands_the_normalised_forms(lexical: LexicalRetriever) -> None:
    assert lexical.rank("quero conectar minha conta do itau aqui").top.topic == "open-finance"
    assert lexical.rank("direito ao esquecimento").top.topic == "lgpd-excluir"
    assert lexical.rank("é de graça ou cobra alguma coisa?").top.topic == "tarifas"


def test_the_encoder_sees_the_normalised_question_of_at_most_max_query_words() -> None:
    assert query_text("Meu score tá baixo pq?") == "meu score esta baixo porque"
    assert query_text("conta do Itaú") == "conta do outro banco"
    wall = " ".join(f"palavra{i}" for i in range(MAX_QUERY_WORDS * 10))
    assert query_text(wall).split() == wall.split()[:MAX_QUERY_WORDS]


def _reference(
    kb: KnowledgeBase, scores: np.ndarray, mask: np.ndarray
) -> tuple[list[str], list[float], list[int]]:
    best: dict[str, tuple[float, int]] = {}
    for i, p in enumerate(kb.passages):
        if not mask[i]:
            continue
        cur = best.get(p.article.topic)
        if cur is None or float(scores[i]) > cur[0]:
            best[p.article.topic] = (float(scores[i]), i)
    topics = sorted(best)
    return topics, [best[t][0] for t in topics], [best[t][1] for t in topics]


@settings(max_examples=60, deadline=None)
@given(
    scores=arrays(
        np.float32,
        len(KB.passages),
        elements=st.floats(-5, 5, width=32) | st.sampled_from([0.0, 1.0]),  # ties included
    ),
    mask=arrays(np.bool_, len(KB.passages)),
)
def test_property_topic_groups_gather_equals_the_loop(scores: np.ndarray, mask: np.ndarray) -> None:
    for m in (mask, np.ones(len(KB.passages), dtype=bool)):
        if not m.any():
            continue
        topics, best, idx = TopicGroups(KB, m).best(scores)
        ref_topics, ref_best, ref_idx = _reference(KB, scores, m)
        assert topics == ref_topics
        assert best.tolist() == ref_best
        assert idx == ref_idx


def test_encoder_slots_one_per_core_per_thread_count() -> None:
    assert encoder_slots(1, cores=2) == 2
    assert encoder_slots(2, cores=2) == 1
    assert encoder_slots(4, cores=2) == 1
    assert encoder_slots(1, cores=1) == 1


def test_concurrent_encodings_equal_sequential_ones() -> None:
    """The engine is called from several threads at once (no global lock): same vectors as one by one."""
    encoder = Encoder(threads=1)
    questions = [
        "como mando um pix",
        "meu score ta baixo pq",
        "quero falar com uma pessoa",
        "esqueci a senha do app",
    ] * 3
    sequential = [encoder.query(q) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(encoder.query, questions))
    for a, b in zip(sequential, concurrent, strict=True):
        np.testing.assert_array_equal(a, b)
