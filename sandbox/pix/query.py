"""Query parameters of the Pix sandbox's list endpoints, checked against the Pix spec's schemas.

Every ``GET`` list (``/cob``, ``/cobv``, ``/pix``, ``/loc``, ``/webhook``) goes through
:func:`consulta`: ``inicio``/``fim`` (RFC 3339, ``fim`` not before ``inicio``), the pagination
(``paginacao.paginaAtual`` >= 0, 1 <= ``paginacao.itensPorPagina`` <= 1000) and the endpoint's own
filters. A value that does not respect its schema is a 400 ``<Endpoint>ConsultaInvalida`` whose
``violacoes`` name each bad parameter (``propriedade``); nothing unchecked is echoed back in
``parametros``. Filter rules (decided here, the spec only gives patterns):

* ``cpf``: 11 ASCII digits (``^[0-9]{11}$``) with valid check digits;
* ``cnpj``: 14 characters, the 12 first ``[0-9A-Z]`` and two check digits, checked; lower-case
  letters are accepted and upper-cased (the spec's pattern and the echo are upper-case);
* ``txid``: ``^[a-zA-Z0-9]{1,35}$`` (any txid a Pix may carry, cob/cobv ones are 26-35);
* ``status``: one of ``CobrancaStatus``; ``tipoCob``: ``cob``/``cobv``; booleans ``true``/``false``;
* ``cpf`` and ``cnpj`` together are a violation; an empty value is a bad value, not an absent one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request

from lake.domain.identifiers import is_valid_cnpj, is_valid_cpf
from pipelines.sources.timefmt import iso_millis, parse_rfc3339

COB_STATUS = ("ATIVA", "CONCLUIDA", "REMOVIDA_PELO_USUARIO_RECEBEDOR", "REMOVIDA_PELO_PSP")
_CPF = re.compile(r"^[0-9]{11}$")
_CNPJ = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
_TXID_ANY = re.compile(r"^[a-zA-Z0-9]{1,35}$")
_INT = re.compile(r"^-?[0-9]{1,10}$")


class PixProblem(Exception):
    """A Pix API error rendered as RFC 7807 ``Problema`` (``type`` = error base + ``name``)."""

    def __init__(
        self, status: int, name: str, title: str, detail: str, violacoes: list[dict] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.name, self.title, self.detail = status, name, title, detail
        self.violacoes = violacoes


def violation(razao: str, propriedade: str, valor: object = None) -> dict:
    v = {"razao": razao, "propriedade": propriedade}
    if valor is not None:
        v["valor"] = str(valor)[:200]
    return v


@dataclass
class Consulta:
    """A validated list query: period, page, page size and the normalised filters."""

    inicio: datetime | None
    fim: datetime | None
    page: int
    size: int
    filters: dict[str, str | bool] = field(default_factory=dict)

    def parametros(self, total: int) -> dict:
        """The ``parametros`` block echoed back: the period, the filters as normalised, the paging."""
        out: dict = {}
        if self.inicio is not None and self.fim is not None:
            out = {"inicio": iso_millis(self.inicio), "fim": iso_millis(self.fim)}
        out.update(self.filters)
        out["paginacao"] = {
            "paginaAtual": self.page,
            "itensPorPagina": self.size,
            "quantidadeDePaginas": max(1, (total + self.size - 1) // self.size),
            "quantidadeTotalDeItens": total,
        }
        return out

    def window(self, items: list) -> list:
        return items[self.page * self.size : (self.page + 1) * self.size]

    def within(self, at: datetime) -> bool:
        return (self.inicio is None or self.inicio <= at) and (self.fim is None or at <= self.fim)


def consulta(
    request: Request,
    problem: str,
    filters: tuple[str, ...] = (),
    *,
    period_required: bool = True,
) -> Consulta:
    """Validate a list query (see the module docstring); raise a 400 ``problem`` listing every violation."""
    q = request.query_params
    bad: list[dict] = []
    dates: dict[str, datetime | None] = {}
    for name in ("inicio", "fim"):
        raw = q.get(name)
        if raw is None:
            dates[name] = None
            if period_required:
                bad.append(violation(f"{name} é obrigatório", name))
            continue
        try:
            dates[name] = parse_rfc3339(raw)
        except ValueError:
            dates[name] = None
            bad.append(violation(f"{name} deve respeitar a RFC 3339 (date-time)", name, raw))
    inicio, fim = dates["inicio"], dates["fim"]
    if (inicio is None) != (fim is None) and not bad:
        bad.append(violation("inicio e fim devem ser informados juntos", "fim" if fim is None else "inicio"))
    if inicio is not None and fim is not None and fim < inicio:
        bad.append(violation("o timestamp fim é anterior ao timestamp inicio", "fim", q.get("fim")))
    page = _int(q.get("paginacao.paginaAtual"), 0, 0, 2_147_483_647, "paginacao.paginaAtual", bad)
    size = _int(q.get("paginacao.itensPorPagina"), 100, 1, 1000, "paginacao.itensPorPagina", bad)
    out: dict[str, str | bool] = {}
    for name in filters:
        raw = q.get(name)
        if raw is None:
            continue
        value = _filter(name, raw, bad)
        if value is not None:
            out[name] = value
    if "cpf" in out and "cnpj" in out:
        bad.append(violation("cpf e cnpj não podem ser utilizados ao mesmo tempo", "cnpj"))
    if bad:
        raise PixProblem(
            400,
            problem,
            "Consulta inválida.",
            "Os parâmetros de consulta não respeitam o schema ou não fazem sentido semanticamente.",
            bad,
        )
    return Consulta(inicio, fim, page, size, out)


def _int(raw: str | None, default: int, lo: int, hi: int, name: str, bad: list[dict]) -> int:
    if raw is None:
        return default
    if not _INT.match(raw) or not lo <= int(raw) <= hi:
        bad.append(violation(f"{name} deve ser um inteiro entre {lo} e {hi}", name, raw))
        return default
    return int(raw)


def _filter(name: str, raw: str, bad: list[dict]) -> str | bool | None:
    if name == "cpf":
        if _CPF.match(raw) and is_valid_cpf(raw):
            return raw
        bad.append(violation("cpf deve ter 11 dígitos com dígitos verificadores válidos", name, raw))
    elif name == "cnpj":
        value = raw.upper() if raw.isascii() else raw
        if _CNPJ.match(value) and is_valid_cnpj(value):
            return value
        bad.append(violation("cnpj deve ter 14 caracteres com dígitos verificadores válidos", name, raw))
    elif name == "txid":
        if _TXID_ANY.match(raw):
            return raw
        bad.append(violation("txid deve ter de 1 a 35 caracteres alfanuméricos", name, raw))
    elif name == "status":
        if raw in COB_STATUS:
            return raw
        bad.append(violation(f"status deve ser um de {', '.join(COB_STATUS)}", name, raw))
    elif name == "tipoCob":
        if raw in ("cob", "cobv"):
            return raw
        bad.append(violation("tipoCob deve ser cob ou cobv", name, raw))
    elif name == "loteCobVId":
        if _INT.match(raw) and 0 <= int(raw) <= 2_147_483_647:
            return raw
        bad.append(violation("loteCobVId deve ser um inteiro", name, raw))
    else:  # boolean filters: txIdPresente, devolucaoPresente, locationPresente
        if raw in ("true", "false"):
            return raw == "true"
        bad.append(violation(f"{name} deve ser true ou false", name, raw))
    return None
