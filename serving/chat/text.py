"""Text normalisation for retrieval in colloquial Brazilian Portuguese.

``fold`` lower-cases and removes accents (NFKD, combining marks dropped), so "não", "nao" and "NÃO"
are one word. ``tokens`` splits folded text into words, rewrites multi-word expressions whose sense
is not their words' (:data:`PHRASES`: "direito ao esquecimento", "de graça", banks' names), expands
common chat abbreviations and synonyms ("vc", "pq", "qnd", "msm", "nubank" ...), drops stop words and stems with the Snowball Portuguese stemmer (PyStemmer).
Accents are folded BEFORE stemming, so a query typed without accents meets the same stems as the
accented article text.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

_WORD = re.compile(r"[a-z0-9]+")

# chat abbreviations and slang -> the word an article would use (keys and values are folded)
SLANG: dict[str, str] = {
    "vc": "voce",
    "vcs": "voces",
    "voce": "voce",
    "pq": "porque",
    "pqe": "porque",
    "porq": "porque",
    "q": "que",
    "oq": "o que",
    "qnd": "quando",
    "qdo": "quando",
    "qto": "quanto",
    "qtos": "quantos",
    "qnto": "quanto",
    "qual": "qual",
    "tb": "tambem",
    "tbm": "tambem",
    "msm": "mesmo",
    "mt": "muito",
    "mto": "muito",
    "mta": "muita",
    "n": "nao",
    "ñ": "nao",
    "naum": "nao",
    "nn": "nao",
    "hj": "hoje",
    "agr": "agora",
    "td": "tudo",
    "tds": "todos",
    "cmg": "comigo",
    "ctz": "certeza",
    "blz": "beleza",
    "vlw": "valeu",
    "obg": "obrigado",
    "pfv": "por favor",
    "pfvr": "por favor",
    "pls": "por favor",
    "dps": "depois",
    "dnv": "de novo",
    "qm": "quem",
    "cel": "celular",
    "tel": "telefone",
    "zap": "whatsapp",
    "wpp": "whatsapp",
    "whats": "whatsapp",
    "app": "aplicativo",
    "aplicatvo": "aplicativo",
    "conta": "conta",
    "ta": "esta",
    "tah": "esta",
    "to": "estou",
    "tou": "estou",
    "tava": "estava",
    "pra": "para",
    "pro": "para o",
    "pros": "para os",
    "num": "nao",
    "cade": "onde esta",
    "grana": "dinheiro",
    "bufunfa": "dinheiro",
    "dim": "dinheiro",
    "pila": "reais",
    "conto": "reais",
    "contos": "reais",
    "mango": "reais",
    "mangos": "reais",
    "pixe": "pix",
    "pics": "pix",
    "piks": "pix",
    "px": "pix",
    "qr": "qrcode",
    "qrcode": "qrcode",
    "copiaecola": "copia e cola",
    "senah": "senha",
    "snha": "senha",
    "sneha": "senha",
    "socre": "score",
    "scor": "score",
    "escore": "score",
    "extrado": "extrato",
    "estrato": "extrato",
    "comprovate": "comprovante",
    "conprovante": "comprovante",
    "biometira": "biometria",
    "transferencai": "transferencia",
    "tranferencia": "transferencia",
    "trasferencia": "transferencia",
    "transf": "transferencia",
    "ted": "transferencia",
    "golpi": "golpe",
    "golpista": "golpe",
    "golpistas": "golpe",
    "fraude": "golpe",
    "fraudes": "golpe",
    "caloteiro": "golpe",
    "robado": "roubado",
    "hackearam": "invadiram",
    "hackeada": "invadida",
    "hackeado": "invadido",
    "hakearam": "invadiram",
    "rackearam": "invadiram",
    "celu": "celular",
    "smartphone": "celular",
    "telefone": "telefone",
    "emprestimo": "emprestimo",
    "emprestimos": "emprestimo",
    "emprestimu": "emprestimo",
    "credito": "credito",
    "cred": "credito",
    "lgpd": "lgpd",
    "dados": "dados",
    "humano": "humano",
    "atendente": "atendente",
    "atendentes": "atendente",
    "sac": "atendimento",
    "ouvidoria": "ouvidoria",
    # "de graça" is how customers say free of charge
    "graca": "gratis",
    "gratuito": "gratis",
    "gratuita": "gratis",
    "0800": "gratis",
    # other banks by name: an article speaks of "outros bancos" (Open Finance, portability)
    **{
        bank: "outro banco"
        for bank in (
            "nubank",
            "itau",
            "bradesco",
            "santander",
            "picpay",
            "mercadopago",
            "c6",
            "btg",
            "sicoob",
            "sicredi",
            "neon",
            "banrisul",
            "bb",
        )
    },
}

# multi-word expressions whose meaning is not that of their words (folded; matched on word boundaries
# before the words are split): "direito ao esquecimento" is erasure, not a forgotten password
PHRASES: dict[str, str] = {
    "direito ao esquecimento": "excluir dados",
    "direito de ser esquecido": "excluir dados",
    "de graca": "gratis",
    "banco do brasil": "outro banco",
    "caixa economica": "outro banco",
    "mercado pago": "outro banco",
}
_PHRASE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(PHRASES, key=len, reverse=True)) + r")\b")

# Portuguese function words that carry no topic (folded); question words stay, they help little but harm less
STOPWORDS: frozenset[str] = frozenset(
    """
    a o as os um uma uns umas de do da dos das no na nos nas em e ou mas se que com por para pelo pela
    pelos pelas ao aos ante ate sob sobre entre sem ja la ai aqui ali isso isto esse essa esses essas
    este esta estes estas aquele aquela aquilo eu tu ele ela nos vos eles elas me te lhe lhes mim ti
    meu minha meus minhas seu sua seus suas teu tua nosso nossa dele dela deles delas voce voces
    ser sou e era foi fui sao estou estava estar ter tenho tem tinha tive teve ha havia vai vou
    fazer faz fiz muito muita muitos muitas mais menos tambem so ainda entao tipo ne ta oi ola bom boa dia
    tarde noite por favor obrigado obrigada valeu gente pessoal alguem algum alguma coisa quero queria
    gostaria preciso precisava consigo consegui conseguir posso pode podia sei saber como onde quando
    qual quais quanto quantos porque pq oq o que mesmo agora hoje favor beleza tudo todo toda todos
    """.split()
)

# words that stay although they are in STOPWORDS when they are the topic ("noite" of night limits)
KEEP: frozenset[str] = frozenset({"noite", "dia", "quanto", "posso", "como"})


def fold(text: str) -> str:
    """Lower-case ``text`` and remove accents ("Não é" -> "nao e")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("portuguese")


def words(text: str) -> list[str]:
    """Folded words of ``text`` with multi-word expressions (:data:`PHRASES`) and chat abbreviations
    (:data:`SLANG`) expanded (no stop-word removal, no stemming)."""
    out: list[str] = []
    folded = _PHRASE.sub(lambda m: PHRASES[m.group(1)], " ".join(_WORD.findall(fold(text))))
    for w in folded.split():
        out.extend(SLANG.get(w, w).split())
    return out


def stems(words_: list[str]) -> list[str]:
    """Snowball Portuguese stems of already folded words."""
    out: list[str] = _stemmer().stemWords(words_)
    return out


def tokens(text: str, *, keep: frozenset[str] = KEEP) -> list[str]:
    """Stems of the content words of ``text``: folded, slang expanded, stop words dropped, stemmed."""
    content = [w for w in words(text) if w not in STOPWORDS or w in keep]
    return stems(content)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Fixes one-letter typos against a vocabulary (folded words): a word that is not in it is replaced
    by the most frequent vocabulary word at one deletion, insertion, substitution or adjacent swap of
    distance (a symmetric-delete index). Words under ``min_len`` letters, numbers and words whose stem
    is in ``known_stems`` (another form of a word the vocabulary has: "seguro" beside "segurança") are
    left alone."""

    def __init__(
        self, vocabulary: dict[str, int], min_len: int = 4, known_stems: frozenset[str] = frozenset()
    ) -> None:
        self.vocab = vocabulary
        self.min_len = min_len
        self.known_stems = known_stems
        self._index: dict[str, set[str]] = {}
        for w in vocabulary:
            if len(w) >= min_len:
                for d in _deletes(w) | {w}:
                    self._index.setdefault(d, set()).add(w)

    @staticmethod
    def _one_edit(a: str, b: str) -> bool:
        if a == b:
            return False
        la, lb = len(a), len(b)
        if abs(la - lb) > 1:
            return False
        if la == lb:
            diff = [i for i in range(la) if a[i] != b[i]]
            if len(diff) == 1:
                return True
            i = diff[0] if len(diff) == 2 else -1
            return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
        short, long_ = (a, b) if la < lb else (b, a)
        return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))

    def correct(self, word: str) -> str:
        if word in self.vocab or len(word) < self.min_len or word.isdigit():
            return word
        if self.known_stems and _stemmer().stemWord(word) in self.known_stems:
            return word
        candidates: set[str] = set()
        for d in _deletes(word) | {word}:
            candidates |= self._index.get(d, set())
        best = [c for c in candidates if self._one_edit(word, c)]
        if not best:
            return word
        return max(best, key=lambda c: (self.vocab[c], c))

    def fix(self, text: str) -> str:
        """``text`` as folded words, slang expanded and typos corrected."""
        return " ".join(self.correct(w) for w in words(text))
