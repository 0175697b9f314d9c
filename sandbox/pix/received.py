"""Received Pix and their refunds in the Pix sandbox (scopes ``pix.read``, ``pix.write``).

* ``GET /pix`` (period, ``txid``, ``txIdPresente``, ``devolucaoPresente``, payer ``cpf``/``cnpj``)
  and ``GET /pix/{e2eid}``: the world's Pix credits plus the Pix that paid charges, each with its
  ``devolucoes``; an ``e2eid`` that is not an E2EID (:mod:`lake.domain.pix_ids`) is simply not found.
* ``PUT /pix/{e2eid}/devolucao/{id}`` ``{valor, natureza?, descricao?}``: ask for a refund
  (201 ``Devolucao``, ``EM_PROCESSAMENTO``, then ``DEVOLVIDO``). Violations (400
  ``PixDevolucaoInvalida``): an ``e2eid`` or ``id`` outside its format, ``valor`` outside
  ``\\d{1,10}\\.\\d{2}`` or zero, a total of refunds above the Pix's ``valor``, an ``id`` already
  used for this Pix, a request more than 90 days after the Pix, a ``natureza`` other than ORIGINAL or
  RETIRADA, or RETIRADA for a Pix that is not Pix Saque/Troco. An unknown Pix is 404
  ``PixNaoEncontrado``. MED returns (``MED_FRAUDE``/``MED_OPERACIONAL``) are started by the payer's
  institution, not by this API: the world's fraud credits come with one, and the sandbox-only
  ``POST /sandbox/pix/{e2eid}/med`` starts one.
* ``GET /pix/{e2eid}/devolucao/{id}``: one refund (404 ``PixDevolucaoNaoEncontrada``).

The webhook of the Pix's key (if any) receives the Pix with its ``devolucoes`` after a refund request.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lake.domain import pix_ids
from lake.domain.money import str_to_cents
from sandbox.pix.query import PixProblem, consulta, violation
from sandbox.pix.state import REFUND_WINDOW, PixRecord, PixState, Refund, _suffix

API = "/api"
_MONEY = re.compile(r"^[0-9]{1,10}\.[0-9]{2}$")


def _pix_missing(e2eid: str) -> PixProblem:
    return PixProblem(404, "PixNaoEncontrado", "Pix não encontrado.", f"Nenhum Pix com endToEndId {e2eid}.")


def _refund_invalid(violacoes: list[dict]) -> PixProblem:
    return PixProblem(
        400,
        "PixDevolucaoInvalida",
        "Devolução inválida.",
        "A presente requisição de devolução não respeita o schema ou não faz sentido semanticamente.",
        violacoes,
    )


def find_pix(state: PixState, e2eid: str) -> PixRecord:
    rec = state.by_e2eid.get(e2eid) if pix_ids.is_end_to_end_id(e2eid) else None
    if rec is None:
        raise _pix_missing(e2eid)
    return rec


def request_refund(state: PixState, rec: PixRecord, refund_id: str, body: object) -> Refund:
    """Check and record a refund request (the rules in the module docstring)."""
    if not isinstance(body, dict):
        raise _refund_invalid([violation("o corpo deve ser um objeto JSON", "devolucao")])
    bad = []
    if not pix_ids.is_refund_id(refund_id):
        bad.append(violation("id deve ter de 1 a 35 caracteres [a-zA-Z0-9]", "id", refund_id))
    elif any(r.id == refund_id for r in rec.refunds):
        bad.append(violation("id já utilizado por outra devolução deste Pix", "id", refund_id))
    valor = body.get("valor")
    cents = str_to_cents(valor) if isinstance(valor, str) and _MONEY.match(valor) else 0
    if cents <= 0:
        bad.append(
            violation("valor deve ser positivo no formato \\d{1,10}\\.\\d{2}", "devolucao.valor", valor)
        )
    elif rec.refunded_cents() + cents > str_to_cents(rec.pix["valor"]):
        bad.append(violation("as devoluções excederiam o valor do Pix", "devolucao.valor", valor))
    natureza = body.get("natureza", "ORIGINAL")
    if natureza not in ("ORIGINAL", "RETIRADA"):
        bad.append(violation("natureza deve ser ORIGINAL ou RETIRADA", "devolucao.natureza", natureza))
    elif natureza == "RETIRADA" and not {"saque", "troco"} & set(rec.pix.get("componentesValor") or {}):
        bad.append(
            violation("RETIRADA só se aplica a Pix Saque ou Pix Troco", "devolucao.natureza", natureza)
        )
    descricao = body.get("descricao")
    if descricao is not None and (not isinstance(descricao, str) or len(descricao) > 140):
        bad.append(violation("descricao deve ter até 140 caracteres", "devolucao.descricao"))
    now = state.now()
    if now - rec.at > REFUND_WINDOW:
        bad.append(violation("a devolução deve ser pedida em até 90 dias da liquidação do Pix", "devolucao"))
    if bad:
        raise _refund_invalid(bad)
    refund = Refund(
        id=refund_id,
        rtr_id=pix_ids.return_id(state.settings.pix_ispb, now, _suffix(f"rtr:{rec.e2eid}:{refund_id}")),
        valor_cents=cents,
        natureza=natureza,
        requested_at=now,
        descricao=descricao,
    )
    rec.refunds.append(refund)
    return refund


def router() -> APIRouter:
    from sandbox.pix.server import authorise, notify

    r = APIRouter(prefix=API, tags=["pix-received"])

    @r.get("/pix")
    async def list_pix(request: Request) -> JSONResponse:
        state = authorise(request, "pix.read")
        c = consulta(
            request, "PixConsultaInvalida", ("txid", "txIdPresente", "devolucaoPresente", "cpf", "cnpj")
        )
        f = c.filters
        rows = state.pix_between(c.inicio, c.fim)
        if "cpf" in f or "cnpj" in f:
            rows = [p for p in rows if p.payer_doc == f.get("cpf", f.get("cnpj"))]
        if "txid" in f:
            rows = [p for p in rows if p.pix.get("txid") == f["txid"]]
        if "txIdPresente" in f:
            rows = [p for p in rows if ("txid" in p.pix) == f["txIdPresente"]]
        if "devolucaoPresente" in f:
            rows = [p for p in rows if bool(p.refunds) == f["devolucaoPresente"]]
        now = state.now()
        return JSONResponse(
            {"parametros": c.parametros(len(rows)), "pix": [p.payload(now) for p in c.window(rows)]}
        )

    @r.get("/pix/{e2eid}")
    async def get_pix(e2eid: str, request: Request) -> JSONResponse:
        state = authorise(request, "pix.read")
        return JSONResponse(find_pix(state, e2eid).payload(state.now()))

    @r.put("/pix/{e2eid}/devolucao/{refund_id}", status_code=201)
    async def put_refund(e2eid: str, refund_id: str, request: Request) -> JSONResponse:
        state = authorise(request, "pix.write")
        if not pix_ids.is_end_to_end_id(e2eid):
            raise _refund_invalid([violation("e2eid não é um EndToEndId válido", "e2eid", e2eid)])
        rec = find_pix(state, e2eid)
        try:
            body = await request.json()
        except ValueError:
            body = None
        refund = request_refund(state, rec, refund_id, body)
        await notify(state, rec)
        return JSONResponse(refund.payload(state.now()), status_code=201)

    @r.get("/pix/{e2eid}/devolucao/{refund_id}")
    async def get_refund(e2eid: str, refund_id: str, request: Request) -> JSONResponse:
        state = authorise(request, "pix.read")
        rec = find_pix(state, e2eid)
        for refund in rec.refunds:
            if refund.id == refund_id:
                return JSONResponse(refund.payload(state.now()))
        raise PixProblem(
            404,
            "PixDevolucaoNaoEncontrada",
            "Devolução não encontrada.",
            f"Nenhuma devolução {refund_id} para {e2eid}.",
        )

    return r
