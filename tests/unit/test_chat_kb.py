"""Support assistant knowledge base and text handling: the articles load and cover every topic, what
they quote is what the code enforces (limits, fees, rules read from the code itself), the evaluation
set is apart from the articles, masking (with a property test), and the retrieval floor on the
held-out split."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from chat_kit import chat_app
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from serving_kit import auth, deposit, make_settings, register

from lake.domain.identifiers import cpf_with_digits
from models.credit.scoring import BANDS, BASE_ODDS, BASE_SCORE, PDO
from models.recommend.catalog import BY_CODE
from models.recommend.eligibility import MAX_DSR, STEP_CENTS
from models.recommend.profile import MAX_RISK, VALIDITY_DAYS
from serving.api.pix import MAX_KEYS_PER_USER
from serving.chat.compose import brl
from serving.chat.kb import TOPICS, KnowledgeBaseError, load_kb, parse_article
from serving.chat.mask import mask
from serving.chat.text import fold, tokens
from serving.documents.content import ALLOWED
from serving.fraud.screen import RulesFraudScreen
from serving.lgpd import registry as consents
from serving.pix.keys import KeyType

KB = load_kb()
DEFAULTS = make_settings("/tmp/cofre-kb-defaults")
EVAL = [
    json.loads(line)
    for line in (__import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "chat_eval.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]


def text_of(topic: str) -> str:
    return "\n".join(a.title + "\n" + a.body for a in KB.by_topic(topic))


def test_every_topic_has_an_article_with_the_front_matter():
    assert {a.topic for a in KB.articles} == set(TOPICS) and len(TOPICS) == 25
    for a in KB.articles:
        assert a.id and a.title and a.tags and a.updated.year >= 2026 and a.sections


def test_a_bad_article_is_refused_with_its_name(tmp_path):
    p = tmp_path / "x.md"
    p.write_text("---\nid: x-y\ntopic: nao-existe\ntitle: T\nupdated: 2026-12-01\ntags: [a]\n---\ntexto\n")
    with pytest.raises(KnowledgeBaseError, match="x.md: unknown topic"):
        parse_article(p)
    p.write_text("---\nid: x-y\ntopic: golpe\ntitle: T\ntags: [a]\n---\ntexto\n")
    with pytest.raises(KnowledgeBaseError, match="missing front matter field"):
        parse_article(p)
    with pytest.raises(KnowledgeBaseError, match="no article for topic"):
        load_kb(_folder_with(tmp_path))


def _folder_with(tmp_path):
    d = tmp_path / "kb"
    d.mkdir()
    (d / "a.md").write_text(
        "---\nid: a-b\ntopic: golpe\ntitle: T\nupdated: 2026-12-01\ntags: [a]\n---\ntexto\n"
    )
    return d


def test_pix_limits_quoted_are_the_limits_the_gateway_enforces():
    limits = text_of("pix-limites")
    assert brl(DEFAULTS.stepup_amount_cents) in limits  # step-up (biometrics) above this amount
    assert brl(RulesFraudScreen.NO_HISTORY_LIMIT_CENTS) in limits
    assert f"{RulesFraudScreen.HISTORY_MULTIPLIER} vezes" in limits
    assert f"pelo menos {RulesFraudScreen.MIN_HISTORY} transferências" in limits
    assert "Entre 23h e 6h" in limits
    for topic in ("pix-enviar", "biometria", "dispositivo", "seguranca", "pix-qr-code"):
        assert brl(DEFAULTS.stepup_amount_cents) in text_of(topic), topic


def test_fraud_rules_quoted_are_the_rules_screen():
    held = text_of("transferencia-retida")
    labels = {
        "amount_above_history": "Valor acima do costume",
        "new_device": "Celular novo",
        "first_time_recipient": "Destinatário novo",
        "night_hours": "Horário noturno",
    }
    for rule, weight in RulesFraudScreen.WEIGHTS.items():
        assert f"**{labels[rule]}** (peso {weight:.2f}".replace(".", ",") in held
    assert f"a partir de {RulesFraudScreen.BLOCK_AT:.2f}".replace(".", ",") in held
    assert (
        f"entre {RulesFraudScreen.REVIEW_AT:.2f} e {RulesFraudScreen.BLOCK_AT:.2f}".replace(".", ",") in held
    )


def test_pix_keys_article_matches_the_key_rules():
    keys = text_of("pix-chaves")
    assert f"até {MAX_KEYS_PER_USER} chaves" in keys and "cinco tipos" in keys and len(KeyType) == 5
    assert "77 caracteres" in keys


def test_documents_biometrics_session_and_lgpd_figures_match_settings():
    docs = text_of("documentos")
    assert f"até {DEFAULTS.documents_max_bytes // 2**20} MB" in docs
    assert f"vale {DEFAULTS.document_link_ttl_s // 60} minutos" in docs
    assert {t.split("/")[1].upper() for t in ALLOWED} == {"PDF", "PNG", "JPEG"}
    assert "PDF, PNG e JPEG" in docs
    assert f"vale por {DEFAULTS.stepup_token_ttl_s // 60} minutos" in text_of("biometria")
    for topic in ("senha", "seguranca"):
        t = text_of(topic)
        assert (
            f"{DEFAULTS.access_token_ttl_s // 60} minutos" in t
            and f"{DEFAULTS.refresh_token_ttl_s // 86400} dias" in t
        )
    for topic in ("lgpd-meus-dados", "lgpd-excluir"):
        assert f"prazo legal de {DEFAULTS.lgpd_deadline_days} dias" in text_of(topic)
    from serving.api.auth import RegisterIn

    min_len = next(
        m.min_length for m in RegisterIn.model_fields["password"].metadata if hasattr(m, "min_length")
    )
    assert f"pelo menos {min_len} caracteres" in text_of("senha")
    assert len(consents.PURPOSES) == 4 and text_of("lgpd-consentimentos").count("\n- **") == 4


def test_score_and_credit_articles_match_the_models():
    score = text_of("score")
    for lo, hi, name in BANDS:
        assert f"{lo} a {hi}: {name}" in score
    assert f"{int(BASE_SCORE)} pontos correspondem a 1 atraso para cada {int(BASE_ODDS)}" in score
    assert f"cada {int(PDO)} pontos a mais dobram" in score
    credit = text_of("credito-solicitar")
    for code in ("EMPRESTIMO_PESSOAL", "CONSIGNADO", "AUMENTO_LIMITE_CARTAO", "CHEQUE_ESPECIAL"):
        p = BY_CODE[code]
        rate = f"{p.monthly_rate * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",") + "% ao mês"
        assert (
            rate in credit and f"score mínimo {p.min_score}" in credit and brl(p.max_amount_cents) in credit
        )
    assert f"{int(MAX_DSR * 100)}% da sua renda" in credit and brl(STEP_CENTS) in credit
    inv = text_of("investimentos-perfil")
    assert f"{VALIDITY_DAYS // 365} meses" not in inv and f"vale {VALIDITY_DAYS * 12 // 365} meses" in inv
    assert (
        f"O risco máximo é {MAX_RISK['conservador']} para conservador, {MAX_RISK['moderado']} para moderado"
        in inv
    )


def test_no_pix_fee_a_transfer_debits_exactly_its_amount(tmp_path):
    assert "não cobra tarifa por PIX" in text_of("tarifas")
    with TestClient(chat_app(make_settings(tmp_path, stepup_amount_cents=10**12))) as c:
        admin, a = register(c, role="admin"), register(c)
        deposit(c, admin, a["account_id"], 50_000)
        r = c.post(
            "/pix/transfers",
            json={"amount_cents": 12_345, "key": str(uuid.uuid4())},
            headers=auth(a["access"], **{"Idempotency-Key": uuid.uuid4().hex}, **{"X-Device-ID": "d1"}),
        )
        assert r.status_code == 201, r.text
        assert c.get("/accounts/me", headers=auth(a["access"])).json()["balance_cents"] == 50_000 - 12_345


def test_eval_set_is_large_varied_and_apart_from_the_articles():
    inscope = [r for r in EVAL if r["topic"]]
    assert len(inscope) >= 150 and {r["split"] for r in EVAL} == {"dev", "test"}
    for topic in TOPICS:
        qs = [r for r in inscope if r["topic"] == topic]
        assert len(qs) >= 3 and {r["split"] for r in qs} == {"dev", "test"}, topic
    assert sum(fold(r["question"]) != r["question"].lower() for r in EVAL) >= 25  # with accents
    assert sum(fold(r["question"]) == r["question"].lower() for r in EVAL) >= 100  # without
    article_text = fold("\n".join(p.text for p in KB.passages))
    article_questions = [set(tokens(q)) for a in KB.articles for q in a.questions]
    for r in EVAL:
        if len(r["question"].split()) >= 6:  # "esqueci minha senha" may well be a title, or an example
            assert fold(r["question"]) not in article_text, r["question"]
        q = set(tokens(r["question"]))
        for aq in article_questions:  # no near-copy of an article's example question
            assert not q or len(q & aq) / len(q | aq) < 0.75, (r["question"], aq)


def test_mask_replaces_each_kind():
    cpf = cpf_with_digits("529982247")
    text = f"cpf {cpf} / {cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}, cartão 5500 0000 0000 0004, a@b.com, +55 11 91234-5678, (21) 3333-4444"
    assert mask(text) == "cpf [CPF] / [CPF], cartão [CARTAO], [EMAIL], [TELEFONE], [TELEFONE]"
    kept = "paguei R$ 1.500,00 em 12/03/2026 no pix 42"
    assert mask(kept) == kept


@settings(max_examples=150, deadline=None)
@given(
    base=st.integers(min_value=1, max_value=999_999_998),
    card=st.lists(st.integers(0, 9), min_size=16, max_size=16),
    user=st.from_regex(r"[a-z][a-z0-9.]{0,12}", fullmatch=True),
    ddd=st.integers(11, 99),
    number=st.integers(10_000_000, 99_999_999),
    before=st.sampled_from(["", "oi ", "meu dado: ", "R$ 10,00 "]),
)
def test_property_no_identifier_survives_masking(base, card, user, ddd, number, before):
    cpf = cpf_with_digits(f"{base:09d}")
    card_s = "".join(map(str, card))
    email = f"{user}@exemplo.com"
    phone = f"({ddd}) 9{str(number)[:4]}-{str(number)[4:]}"
    out = mask(
        f"{before}{cpf} e {card_s[:4]} {card_s[4:8]} {card_s[8:12]} {card_s[12:]} e {email} e {phone}."
    )
    digits = re.sub(r"\D", "", out)
    assert cpf not in digits and card_s not in re.sub(r"\D", "", out) and email not in out
    assert str(number)[4:] not in out and "@" not in out


def test_hybrid_retrieval_floor_on_the_held_out_split():
    from chat_kit import shared_assistant

    from bench.chat_retrieval import accuracy

    test = [r for r in EVAL if r["split"] == "test"]
    a = accuracy(shared_assistant().retriever, test)
    assert a["top1"] >= 0.9 and a["top3"] >= 0.95, a  # the goal: hybrid top-1 >= 0.90
