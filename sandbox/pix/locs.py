"""Payload locations of the Pix sandbox (``loc``; scopes ``payloadlocation.write``/``.read``).

* ``POST /loc`` ``{"tipoCob": "cob"|"cobv"}``: a new location (201 ``PayloadLocation`` with the
  ``location`` header), free until a charge references it through ``loc.id``;
* ``GET /loc/{id}``: ``PayloadLocationCompleta`` (with ``txid`` while linked);
* ``GET /loc``: by creation time, filters ``txIdPresente`` and ``tipoCob``;
* ``DELETE /loc/{id}/txid``: unlink the charge: the location no longer shows a txid and the charge
  no longer shows ``loc``/``location``/``pixCopiaECola``; its status is unchanged (200
  ``PayloadLocation``). Unknown ids are 404 ``PayloadLocationNaoEncontrado``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sandbox.pix.query import PixProblem, consulta, violation
from sandbox.pix.state import Loc, PixState

API = "/api"


def _missing(loc_id: str) -> PixProblem:
    return PixProblem(
        404, "PayloadLocationNaoEncontrado", "Location não encontrada.", f"Nenhuma location com id {loc_id}."
    )


def _loc(state: PixState, loc_id: str) -> Loc:
    loc = state.locs.get(int(loc_id)) if loc_id.isascii() and loc_id.isdigit() and len(loc_id) < 19 else None
    if loc is None:
        raise _missing(loc_id)
    return loc


def router() -> APIRouter:
    from sandbox.pix.server import authorise

    r = APIRouter(prefix=API, tags=["pix-locations"])

    @r.post("/loc", status_code=201)
    async def create_loc(request: Request) -> JSONResponse:
        state = authorise(request, "payloadlocation.write")
        try:
            body = await request.json()
        except ValueError:
            body = None
        tipo = body.get("tipoCob") if isinstance(body, dict) else None
        if tipo not in ("cob", "cobv"):
            raise PixProblem(
                400,
                "PayloadLocationOperacaoInvalida",
                "Location inválida.",
                "A presente requisição busca criar uma location sem respeitar o schema estabelecido.",
                [violation("tipoCob deve ser cob ou cobv", "tipoCob", tipo)],
            )
        loc = state.new_loc(tipo, request.url.netloc)
        return JSONResponse(loc.payload(), status_code=201, headers={"location": loc.location})

    @r.get("/loc")
    async def list_locs(request: Request) -> JSONResponse:
        state = authorise(request, "payloadlocation.read")
        c = consulta(request, "PayloadLocationConsultaInvalida", ("txIdPresente", "tipoCob"))
        rows = [loc for loc in sorted(state.locs.values(), key=lambda x: x.id) if c.within(loc.created_at)]
        if "txIdPresente" in c.filters:
            rows = [loc for loc in rows if (loc.txid is not None) == c.filters["txIdPresente"]]
        if "tipoCob" in c.filters:
            rows = [loc for loc in rows if loc.tipo_cob == c.filters["tipoCob"]]
        return JSONResponse(
            {"parametros": c.parametros(len(rows)), "loc": [loc.payload() for loc in c.window(rows)]}
        )

    @r.get("/loc/{loc_id}")
    async def get_loc(loc_id: str, request: Request) -> JSONResponse:
        state = authorise(request, "payloadlocation.read")
        return JSONResponse(_loc(state, loc_id).payload())

    @r.delete("/loc/{loc_id}/txid")
    async def unlink(loc_id: str, request: Request) -> JSONResponse:
        state = authorise(request, "payloadlocation.write")
        loc = _loc(state, loc_id)
        if loc.txid is not None:
            charge = state.charges.get(loc.txid)
            if charge is not None and charge.loc_id == loc.id:
                charge.loc_id = None
            loc.txid = None
        return JSONResponse(loc.payload(with_txid=False))

    return r
