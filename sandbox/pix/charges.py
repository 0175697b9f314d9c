"""Charges of the Pix sandbox: ``cob`` (immediate) and ``cobv`` (with a due date).

Operations (API Pix 2.9.0; scopes ``cob.write``/``cob.read``, ``cobv.write``/``cobv.read``):

* ``PUT /cob/{txid}``, ``POST /cob`` (PSP-chosen txid), ``PUT /cobv/{txid}``: create. A ``PUT`` on a
  txid that exists rewrites the charge as a new revision if it is still ``ATIVA`` (the spec's
  violation list forbids it only for a charge that is not); a txid is unique across cob and cobv.
* ``PATCH /cob/{txid}``, ``PATCH /cobv/{txid}``: revise (the given fields replace the current ones,
  ``calendario`` and ``valor`` field by field) or remove (``status`` REMOVIDA_PELO_USUARIO_RECEBEDOR,
  alone); only an ``ATIVA`` charge changes; ``revisao`` + 1 unless only ``loc`` changed.
* ``GET /cob/{txid}``, ``GET /cobv/{txid}`` with optional ``revisao`` (any earlier version; an
  unknown one is 400 ``CobConsultaInvalida``/``CobVConsultaInvalida``); with the Pix that paid it.
* ``GET /cob``, ``GET /cobv``: list by creation time with the spec's filters.

Bodies are checked against the spec (400 ``CobOperacaoInvalida``/``CobVOperacaoInvalida`` listing
every violation): txid 26-35 ``[a-zA-Z0-9]``, the key must belong to a customer of this institution,
``devedor`` a valid CPF or CNPJ with a name, amounts ``\\d{1,10}\\.\\d{2}`` and above zero, a cob's
``expiracao`` positive, a cobv's due date not before today and ``valor`` per
:mod:`sandbox.pix.cobv_amounts`; ``loc.id`` must exist, be of the charge's type and free.
A charge created without ``loc`` gets a new location. Money stays text/Decimal, never float.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from lake.domain import pix_ids
from lake.domain.brcode import BRCode, encode
from lake.domain.identifiers import is_valid_cnpj, is_valid_cpf
from pipelines.sources.timefmt import iso_millis
from sandbox.pix import payloads
from sandbox.pix.cobv_amounts import check_valor
from sandbox.pix.query import COB_STATUS, PixProblem, consulta, violation
from sandbox.pix.state import Charge, PixState

API = "/api"
_MONEY = re.compile(r"^[0-9]{1,10}\.[0-9]{2}$")
_CPF = re.compile(r"^[0-9]{11}$")
_CNPJ = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
_INT = re.compile(r"^[0-9]{1,10}$")
KIND = {
    "cob": {
        "op": "CobOperacaoInvalida",
        "query": "CobConsultaInvalida",
        "missing": "CobNaoEncontrado",
        "name": "cobrança",
    },
    "cobv": {
        "op": "CobVOperacaoInvalida",
        "query": "CobVConsultaInvalida",
        "missing": "CobVNaoEncontrada",
        "name": "cobrança com vencimento",
    },
}
FIELDS = ("calendario", "devedor", "loc", "valor", "chave", "solicitacaoPagador", "infoAdicionais")


def _invalid(kind: str, violacoes: list[dict]) -> PixProblem:
    return PixProblem(
        400,
        KIND[kind]["op"],
        "Cobrança inválida." if kind == "cob" else "Cobrança com vencimento inválida.",
        "A requisição que busca alterar ou criar uma cobrança não respeita o schema ou está semanticamente errada.",
        violacoes,
    )


def _not_found(kind: str, txid: str) -> PixProblem:
    return PixProblem(
        404,
        KIND[kind]["missing"],
        "Cobrança não encontrada.",
        f"Nenhuma {KIND[kind]['name']} para o txid {txid}.",
    )


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_devedor(dev: object, p: str, full: bool) -> list[dict]:
    if not isinstance(dev, dict):
        return [violation("devedor deve ser um objeto", p)]
    out = []
    nome = dev.get("nome")
    if not isinstance(nome, str) or not 1 <= len(nome) <= 200:
        out.append(violation("devedor.nome é obrigatório (até 200 caracteres)", f"{p}.nome"))
    has_cpf, has_cnpj = "cpf" in dev, "cnpj" in dev
    if has_cpf == has_cnpj:
        out.append(violation("informe exatamente um de devedor.cpf ou devedor.cnpj", p))
    elif has_cpf and not (
        isinstance(dev["cpf"], str) and _CPF.match(dev["cpf"]) and is_valid_cpf(dev["cpf"])
    ):
        out.append(violation("cpf inválido", f"{p}.cpf", dev["cpf"]))
    elif has_cnpj:
        cnpj = dev["cnpj"].upper() if isinstance(dev["cnpj"], str) and dev["cnpj"].isascii() else dev["cnpj"]
        if not (isinstance(cnpj, str) and _CNPJ.match(cnpj) and is_valid_cnpj(cnpj)):
            out.append(violation("cnpj inválido", f"{p}.cnpj", dev["cnpj"]))
    limits = {"email": 200, "logradouro": 200, "cidade": 200, "uf": 2, "cep": 8} if full else {}
    for name, size in limits.items():
        if name in dev and (not isinstance(dev[name], str) or len(dev[name]) > size):
            out.append(violation(f"{name} deve ter até {size} caracteres", f"{p}.{name}"))
    return out


def _clean_devedor(dev: dict, full: bool) -> dict:
    keep = (
        ("cpf", "cnpj", "nome", "email", "logradouro", "cidade", "uf", "cep")
        if full
        else ("cpf", "cnpj", "nome")
    )
    out = {k: dev[k] for k in keep if k in dev}
    if "cnpj" in out:
        out["cnpj"] = out["cnpj"].upper()
    return out


def check_fields(state: PixState, kind: str, f: dict, txid: str, created: date) -> list[dict]:
    """Violations of a charge's fields (after a PATCH merge, of the merged whole); ``created`` is
    the charge's creation day (a due date may not come before it)."""
    p = kind
    out: list[dict] = []
    cal = f.get("calendario")
    if not isinstance(cal, dict):
        out.append(violation("calendario deve ser um objeto", f"{p}.calendario"))
    elif kind == "cob":
        if not _int(cal.get("expiracao")) or cal["expiracao"] <= 0:
            out.append(
                violation(
                    "expiracao deve ser um inteiro positivo",
                    f"{p}.calendario.expiracao",
                    cal.get("expiracao"),
                )
            )
    else:
        try:
            due = date.fromisoformat(cal["dataDeVencimento"])
            if due < created:
                out.append(
                    violation("dataDeVencimento anterior à criação", f"{p}.calendario.dataDeVencimento")
                )
        except (KeyError, TypeError, ValueError):
            out.append(
                violation("dataDeVencimento é obrigatória (YYYY-MM-DD)", f"{p}.calendario.dataDeVencimento")
            )
        v = cal.get("validadeAposVencimento", 30)
        if not _int(v) or v < 0:
            out.append(
                violation("validadeAposVencimento deve ser >= 0", f"{p}.calendario.validadeAposVencimento")
            )
    valor = f.get("valor")
    if kind == "cob":
        original = valor.get("original") if isinstance(valor, dict) else None
        if not isinstance(original, str) or not _MONEY.match(original) or Decimal(original) <= 0:
            out.append(
                violation(
                    "valor.original deve ser positivo no formato \\d{1,10}\\.\\d{2}",
                    f"{p}.valor.original",
                    original,
                )
            )
        if isinstance(valor, dict) and "retirada" in valor:
            out.append(violation("Pix Saque/Troco não é oferecido por este PSP", f"{p}.valor.retirada"))
        mod = valor.get("modalidadeAlteracao") if isinstance(valor, dict) else None
        if mod is not None and (not _int(mod) or mod not in (0, 1)):
            out.append(violation("modalidadeAlteracao deve ser 0 ou 1", f"{p}.valor.modalidadeAlteracao"))
    else:
        due = None
        try:
            due = date.fromisoformat(cal["dataDeVencimento"]) if isinstance(cal, dict) else None
        except (KeyError, TypeError, ValueError):
            pass
        out.extend(check_valor(valor, due, f"{p}.valor"))
    chave = f.get("chave")
    row = state.index.pix_keys.get(chave) if isinstance(chave, str) else None
    if row is None or row["customer_id"] is None:
        out.append(
            violation("a chave não pertence a um usuário recebedor desta instituição", f"{p}.chave", chave)
        )
    if "devedor" in f:
        out.extend(_check_devedor(f["devedor"], f"{p}.devedor", kind == "cobv"))
    elif kind == "cobv":
        out.append(violation("devedor é obrigatório", f"{p}.devedor"))
    sol = f.get("solicitacaoPagador")
    if sol is not None and (not isinstance(sol, str) or len(sol) > 140):
        out.append(violation("solicitacaoPagador deve ter até 140 caracteres", f"{p}.solicitacaoPagador"))
    info = f.get("infoAdicionais")
    if info is not None and (
        not isinstance(info, list)
        or len(info) > 50
        or any(
            not isinstance(i, dict)
            or not isinstance(i.get("nome"), str)
            or not isinstance(i.get("valor"), str)
            or len(i["nome"]) > 50
            or len(i["valor"]) > 200
            for i in info
        )
    ):
        out.append(violation("infoAdicionais: até 50 itens {nome (50), valor (200)}", f"{p}.infoAdicionais"))
    loc = f.get("loc")
    if loc is not None:
        lid = loc.get("id") if isinstance(loc, dict) else None
        target = state.locs.get(lid) if _int(lid) else None
        if target is None:
            out.append(violation("o location referenciado por loc.id inexiste", f"{p}.loc.id", lid))
        elif target.tipo_cob != kind:
            out.append(violation(f"o location referenciado tem tipo {target.tipo_cob}", f"{p}.loc.id", lid))
        elif target.txid not in (None, txid):
            out.append(violation("o location já está sendo utilizado por outra cobrança", f"{p}.loc.id", lid))
    return out


def _fields(body: dict, kind: str) -> dict:
    """The charge fields of a creation body (defaults filled in)."""
    f = {k: copy.deepcopy(body[k]) for k in FIELDS if k in body}
    cal = f.setdefault("calendario", {})
    if isinstance(cal, dict):
        if kind == "cob":
            cal.setdefault("expiracao", 86400)
            f["calendario"] = {"expiracao": cal["expiracao"]}
        else:
            cal.setdefault("validadeAposVencimento", 30)
            f["calendario"] = {k: cal[k] for k in ("dataDeVencimento", "validadeAposVencimento") if k in cal}
    return f


def _store(state: PixState, charge: Charge, f: dict, host: str) -> None:
    """Link the location (a new one if none is given) and keep the fields as the latest revision."""
    loc_req = f.pop("loc", None)
    if loc_req is not None:
        new_loc = state.locs[loc_req["id"]]
    elif charge.loc_id is None:
        new_loc = state.new_loc(charge.kind, host)
    else:
        new_loc = state.locs[charge.loc_id]
    if charge.loc_id is not None and charge.loc_id != new_loc.id:
        state.locs[charge.loc_id].txid = None
    new_loc.txid = charge.txid
    charge.loc_id = new_loc.id
    if "devedor" in f:
        f["devedor"] = _clean_devedor(f["devedor"], charge.kind == "cobv")
    row = state.index.pix_keys[f["chave"]]
    charge.customer_id = row["customer_id"]


def render(state: PixState, charge: Charge, revisao: int | None = None) -> dict:
    """CobCompleta / CobVCompleta of ``charge`` at ``revisao`` (default: the latest)."""
    n = charge.revisao if revisao is None else revisao
    f = charge.revisions[n]
    latest = n == charge.revisao
    out: dict = {
        "calendario": {"criacao": iso_millis(charge.created_at), **f["calendario"]},
        "txid": charge.txid,
        "revisao": n,
        "status": charge.status if latest else charge.statuses[n],
        "valor": copy.deepcopy(f["valor"]),
        "chave": f["chave"],
    }
    for name in ("devedor", "solicitacaoPagador", "infoAdicionais"):
        if name in f:
            out[name] = copy.deepcopy(f[name])
    loc = state.locs.get(charge.loc_id) if charge.loc_id is not None else None
    if loc is not None:
        out["loc"] = loc.payload()
        out["location"] = loc.location
        out["pixCopiaECola"] = _brcode(state, charge, f, loc.location)
    if charge.kind == "cobv":
        out["recebedor"] = _recebedor(state, f["chave"])
    if latest and charge.pix:
        out["pix"] = [state.by_e2eid[p["endToEndId"]].payload(state.now()) for p in charge.pix]
    return out


def _brcode(state: PixState, charge: Charge, f: dict, location: str) -> str:
    row = state.index.pix_keys[f["chave"]]
    customer = state.index.customers.get(row["customer_id"], {})
    return encode(
        BRCode(
            merchant_name=row["owner_name"] or "Recebedor",
            merchant_city=payloads.CITY_BY_STATE.get(customer.get("state") or "", "BRASILIA"),
            url=location.removeprefix("https://"),
            # a cob's amount is fixed; a cobv's depends on the payment day: the payer reads it from the location
            amount=Decimal(f["valor"]["original"]) if charge.kind == "cob" else None,
            txid="***",
            point_of_initiation="12",
        )
    )


def _recebedor(state: PixState, chave: str) -> dict:
    """The receiving user (the key's owner) with the address fields the spec requires."""
    row = state.index.pix_keys[chave]
    customer = state.index.customers.get(row["customer_id"], {})
    doc = row["owner_document"] or customer.get("cpf") or ""
    h = int(hashlib.sha256(f"addr:{row['customer_id']}".encode()).hexdigest(), 16)
    uf = customer.get("state") or "DF"
    out = {"cpf" if len(doc) == 11 else "cnpj": doc, "nome": (row["owner_name"] or "Recebedor")[:200]}
    out.update(
        {
            "logradouro": f"Rua {h % 997 + 1}, {h % 2000 + 1}",
            "cidade": payloads.CITY_BY_STATE.get(uf, "BRASILIA").title(),
            "uf": uf,
            "cep": f"{h % 10**8:08d}",
        }
    )
    return out


async def _json(request: Request, kind: str) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise _invalid(kind, [violation("o corpo não é JSON válido", kind)]) from None
    if not isinstance(body, dict):
        raise _invalid(kind, [violation("o corpo deve ser um objeto JSON", kind)])
    return body


def _check_txid(kind: str, txid: str) -> None:
    if not pix_ids.is_charge_txid(txid):
        raise _invalid(
            kind, [violation("txid deve ter de 26 a 35 caracteres [a-zA-Z0-9]", f"{kind}.txid", txid)]
        )


def create_or_replace(
    state: PixState, request: Request, kind: str, txid: str, body: dict
) -> tuple[Charge, int]:
    """PUT/POST semantics; returns the charge and the HTTP status (201)."""
    _check_txid(kind, txid)
    existing = state.charges.get(txid)
    if existing is not None:
        existing.refresh(state.now())
        if existing.kind != kind:
            raise _invalid(
                kind, [violation(f"txid já utilizado por uma cobrança {existing.kind}", f"{kind}.txid", txid)]
            )
        if existing.status != "ATIVA":
            raise _invalid(
                kind, [violation(f"a cobrança já existe e está {existing.status}", f"{kind}.txid", txid)]
            )
    f = _fields(body, kind)
    problems = check_fields(state, kind, f, txid, (existing.created_at if existing else state.now()).date())
    if problems:
        raise _invalid(kind, problems)
    if existing is None:
        charge = Charge(kind, txid, state.now(), [], [])
        state.charges[txid] = charge
    else:
        charge = existing
    _store(state, charge, f, request.url.netloc)
    charge.revisions.append(f)
    charge.statuses.append("ATIVA")
    return charge, 201


def revise(state: PixState, request: Request, kind: str, txid: str, body: dict) -> Charge:
    charge = state.charge(txid, kind)
    if charge is None:
        raise _not_found(kind, txid)
    unknown = [k for k in body if k not in (*FIELDS, "status")]
    if unknown:
        raise _invalid(kind, [violation("campo não revisável", f"{kind}.{k}") for k in unknown])
    if charge.status != "ATIVA":
        raise _invalid(kind, [violation(f"a cobrança não está ATIVA ({charge.status})", f"{kind}.status")])
    if "status" in body:
        if body["status"] != "REMOVIDA_PELO_USUARIO_RECEBEDOR":
            raise _invalid(
                kind,
                [
                    violation(
                        "status só pode ser REMOVIDA_PELO_USUARIO_RECEBEDOR", f"{kind}.status", body["status"]
                    )
                ],
            )
        if len(body) > 1:
            raise _invalid(
                kind, [violation("remoção não pode vir junto com outras alterações", f"{kind}.status")]
            )
        charge.revisions.append(copy.deepcopy(charge.revisions[-1]))
        charge.status = "REMOVIDA_PELO_USUARIO_RECEBEDOR"
        charge.statuses.append(charge.status)
        return charge
    current = charge.revisions[-1]
    merged = copy.deepcopy(current)
    for name, value in body.items():
        if name in ("calendario", "valor") and isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = {**merged[name], **copy.deepcopy(value)}
        else:
            merged[name] = copy.deepcopy(value)
    problems = check_fields(state, kind, merged, txid, charge.created_at.date())
    if problems:
        raise _invalid(kind, problems)
    _store(state, charge, merged, request.url.netloc)  # takes "loc" out of merged
    if merged != current:  # a change of loc alone keeps the revision (the spec's rule)
        charge.revisions.append(merged)
        charge.statuses.append(charge.status)
    return charge


def router() -> APIRouter:
    r = APIRouter(prefix=API, tags=["pix-charges"])

    def state_of(request: Request, scope: str) -> PixState:
        from sandbox.pix.server import authorise

        return authorise(request, scope)

    for kind in ("cob", "cobv"):
        _routes(r, kind, state_of)
    return r


def _routes(r: APIRouter, kind: str, state_of: Callable[[Request, str], PixState]) -> None:
    write, read = f"{kind}.write", f"{kind}.read"

    async def put_charge(txid: str, request: Request) -> JSONResponse:
        state = state_of(request, write)
        charge, status = create_or_replace(state, request, kind, txid, await _json(request, kind))
        return JSONResponse(render(state, charge), status_code=status)

    async def patch_charge(txid: str, request: Request) -> JSONResponse:
        state = state_of(request, write)
        charge = revise(state, request, kind, txid, await _json(request, kind))
        return JSONResponse(render(state, charge))

    async def get_charge(txid: str, request: Request) -> JSONResponse:
        state = state_of(request, read)
        raw = request.query_params.get("revisao")
        charge = state.charge(txid, kind)
        if charge is None:
            raise _not_found(kind, txid)
        revisao = None
        if raw is not None:
            if not _INT.match(raw) or int(raw) > charge.revisao:
                raise PixProblem(
                    400,
                    KIND[kind]["query"],
                    "Consulta inválida.",
                    f"a revisão {raw} não existe para o txid {txid}",
                    [violation("revisão inexistente", "revisao", raw)],
                )
            revisao = int(raw)
        return JSONResponse(render(state, charge, revisao))

    async def list_charges(request: Request) -> JSONResponse:
        state = state_of(request, read)
        names = ("cpf", "cnpj", "locationPresente", "status") + (("loteCobVId",) if kind == "cobv" else ())
        c = consulta(request, KIND[kind]["query"], names)
        rows = sorted(
            (ch for ch in state.charges.values() if ch.kind == kind and c.within(ch.created_at)),
            key=lambda ch: (ch.created_at, ch.txid),
        )
        for ch in rows:
            ch.refresh(state.now())
        f = c.filters
        for name in ("cpf", "cnpj"):
            if name in f:
                rows = [ch for ch in rows if (ch.revisions[-1].get("devedor") or {}).get(name) == f[name]]
        if "status" in f:
            rows = [ch for ch in rows if ch.status == f["status"]]
        if "locationPresente" in f:
            rows = [ch for ch in rows if (ch.loc_id is not None) == f["locationPresente"]]
        if "loteCobVId" in f:
            rows = []  # the sandbox creates no batches (lotecobv)
        return JSONResponse(
            {"parametros": c.parametros(len(rows)), "cobs": [render(state, ch) for ch in c.window(rows)]}
        )

    r.add_api_route(f"/{kind}/{{txid}}", put_charge, methods=["PUT"], status_code=201, name=f"put_{kind}")
    r.add_api_route(f"/{kind}/{{txid}}", patch_charge, methods=["PATCH"], name=f"patch_{kind}")
    r.add_api_route(f"/{kind}/{{txid}}", get_charge, methods=["GET"], name=f"get_{kind}")
    r.add_api_route(f"/{kind}", list_charges, methods=["GET"], name=f"list_{kind}")
    if kind == "cob":

        async def post_cob(request: Request) -> JSONResponse:
            state = state_of(request, write)
            body = await _json(request, kind)
            state.cob_seq += 1
            charge, status = create_or_replace(
                state, request, kind, payloads.generated_txid(state.cob_seq), body
            )
            return JSONResponse(render(state, charge), status_code=status)

        r.add_api_route("/cob", post_cob, methods=["POST"], status_code=201, name="post_cob")


__all__ = ["COB_STATUS", "create_or_replace", "render", "revise", "router"]
