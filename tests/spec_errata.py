"""Known defects of the official spec files, listed one by one, each with its proof and its patch.

The tests read the official OpenAPI files as published (``../shared/specs``). Where a file is wrong
in a way that would make a correct server fail (or that makes the file itself invalid), the defect is
an :class:`Erratum` here: ``present(raw)`` proves the official file still has it (a stale erratum
fails tests/unit/test_spec_validation.py) and ``apply(raw)`` patches a copy. Nothing else is
tolerated: the patched specs must pass openapi-spec-validator, and responses are validated against
them strictly. The conformance run (tests/unit/test_sandbox_conformance.py) uses the same patched
specs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

CPF_JS_LITERAL = "/^\\d{11}$/"
# GET operations whose 400 "<X>ConsultaInvalida" the spec's error catalogue documents (info.description)
# while their ``responses`` declare no 400.
CONSULTA_INVALIDA_GETS = {
    "/cob": "CobConsultaInvalida",
    "/cob/{txid}": "CobConsultaInvalida",
    "/cobv": "CobVConsultaInvalida",
    "/cobv/{txid}": "CobVConsultaInvalida",
    "/pix": "PixConsultaInvalida",
    "/loc": "PayloadLocationConsultaInvalida",
    "/webhook": "WebhookConsultaInvalida",
}


@dataclass(frozen=True)
class Erratum:
    key: str
    what: str
    present: Callable[[dict], bool]
    apply: Callable[[dict], None]


def _walk(node: object) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _schemas(raw: dict) -> dict:
    return raw["components"]["schemas"]


def _cob_list_item(raw: dict, name: str) -> dict:
    return _schemas(raw)[name]["properties"]["cobs"]["items"]["allOf"][1]


def _desconto_alternatives(raw: dict) -> list[dict]:
    return _schemas(raw)["CobVValor"]["properties"]["desconto"]["oneOf"]


def _set_expiracao_default(raw: dict) -> None:
    _schemas(raw)["CobExpiracao"]["properties"]["expiracao"]["default"] = 86400


def _fix_cpf_patterns(raw: dict) -> None:
    for node in _walk(raw):
        if node.get("pattern") == CPF_JS_LITERAL:
            node["pattern"] = "^\\d{11}$"


def _unanchored(raw: dict) -> list[dict]:
    return [
        n
        for n in _walk(raw)
        if isinstance(n.get("pattern"), str)
        and n.get("type") == "string"
        and not n["pattern"].startswith("^")
        and n["pattern"] != CPF_JS_LITERAL
    ]


def _anchor(raw: dict) -> None:
    for node in _unanchored(raw):
        node["pattern"] = f"^(?:{node['pattern']})$"


def _add_consulta_400(raw: dict) -> None:
    for path in CONSULTA_INVALIDA_GETS:
        raw["paths"][path]["get"]["responses"]["400"] = {
            "description": "Consulta inválida (documented in the spec's error catalogue).",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problema"}}},
        }


def _declare_endpoint_variable(raw: dict) -> None:
    for item in raw["paths"].values():
        for op in item.values():
            for srv in op.get("servers", []) if isinstance(op, dict) else []:
                if "endpointOpcional" in srv["url"]:
                    srv.setdefault("variables", {})["endpointOpcional"] = {"default": ""}


PIX: tuple[Erratum, ...] = (
    Erratum(
        "int-default-as-string",
        'CobExpiracao.expiracao is an integer whose default is the string "86400" (the only reason the '
        "file fails openapi-spec-validator); read as the integer 86400",
        lambda raw: _schemas(raw)["CobExpiracao"]["properties"]["expiracao"].get("default") == "86400",
        _set_expiracao_default,
    ),
    Erratum(
        "cpf-pattern-js-literal",
        'the CPF pattern is written "/^\\d{11}$/" (JavaScript regex literal), which no string matches '
        'under JSON Schema; read as "^\\d{11}$"',
        lambda raw: any(n.get("pattern") == CPF_JS_LITERAL for n in _walk(raw)),
        _fix_cpf_patterns,
    ),
    Erratum(
        "unanchored-patterns",
        "TxId, EndToEndId, DevolucaoId, rtrId and every money 'valor' pattern lack ^...$ although the text "
        "gives them as whole-value formats (JSON Schema patterns search, so '!!' + 26 letters is a 'TxId'); "
        "read anchored",
        lambda raw: bool(_unanchored(raw)),
        _anchor,
    ),
    Erratum(
        "pix-consultados-requires-cobs",
        'PixConsultados (GET /pix) requires "cobs" (copied from CobsConsultadas; its own example getPix1 '
        'has "parametros" and "pix"); read as requiring "parametros", "pix"',
        lambda raw: "cobs" in _schemas(raw)["PixConsultados"]["required"],
        lambda raw: _schemas(raw)["PixConsultados"].__setitem__("required", ["parametros", "pix"]),
    ),
    Erratum(
        "cobs-consultadas-idcob",
        'CobsConsultadas (GET /cob) items require "idCob", a property no cob schema defines and no cob '
        'example has; read as requiring "status", "txid"',
        lambda raw: "idCob" in _cob_list_item(raw, "CobsConsultadas")["required"],
        lambda raw: _cob_list_item(raw, "CobsConsultadas").__setitem__("required", ["status", "txid"]),
    ),
    Erratum(
        "cobsv-consultadas-idcob",
        'CobsVConsultadas (GET /cobv) items require "idCob" likewise; read as requiring "status", "txid"',
        lambda raw: "idCob" in _cob_list_item(raw, "CobsVConsultadas")["required"],
        lambda raw: _cob_list_item(raw, "CobsVConsultadas").__setitem__("required", ["status", "txid"]),
    ),
    Erratum(
        "cobv-desconto-oneof-ambiguous",
        "CobVValor.desconto is oneOf [{descontoDataFixa}, {required valorPerc}] but the first alternative "
        "does not require descontoDataFixa, so every discount by valorPerc (modalidades 3-6) matches both and "
        "fails oneOf; the first alternative is read as requiring descontoDataFixa",
        lambda raw: "required" not in _desconto_alternatives(raw)[0],
        lambda raw: _desconto_alternatives(raw)[0].__setitem__("required", ["descontoDataFixa"]),
    ),
    Erratum(
        "dados-recebedor-required-misplaced",
        "DadosRecebedor requires logradouro/cidade/uf/cep at its own level, i.e. at the top of CobVGerada, "
        "besides inside recebedor where they belong (its allOf already requires them there); the outer "
        "requirement is dropped",
        lambda raw: "required" in _schemas(raw)["DadosRecebedor"],
        lambda raw: _schemas(raw)["DadosRecebedor"].pop("required"),
    ),
    Erratum(
        "cobv-location-undefined",
        'CobVGerada requires "location" but, unlike CobGerada, defines no such property (openapi-spec-'
        "validator: 'Required list has not defined properties'); the property is added as CobGerada has it",
        lambda raw: (
            "location" in _schemas(raw)["CobVGerada"]["required"]
            and not any(
                "location" in (x.get("properties") or {}) for x in _schemas(raw)["CobVGerada"]["allOf"]
            )
        ),
        lambda raw: _schemas(raw)["CobVGerada"]["allOf"].append(
            {
                "type": "object",
                "properties": {"location": {"type": "string", "maxLength": 77, "format": "uri"}},
            }
        ),
    ),
    Erratum(
        "recnotification-required-typo",
        'RecNotification requires \'atualizacao"\' (a stray quote in the YAML list); read as "atualizacao"',
        lambda raw: 'atualizacao"' in _schemas(raw)["RecNotification"]["required"],
        lambda raw: _schemas(raw)["RecNotification"].__setitem__(
            "required", ["idRec", "status", "atualizacao"]
        ),
    ),
    Erratum(
        "payload-server-undefined-variable",
        "the payer-side payload operations (GET /{pixUrlAccessToken}, /cobv/{pixUrlAccessToken}, "
        "/rec/{recUrlAccessToken}) have a server URL https://{fdqnPSPRecebedor}/{endpointOpcional} whose "
        "variable endpointOpcional is not declared; declared with an empty default",
        lambda raw: any(
            "endpointOpcional" in srv["url"] and "endpointOpcional" not in srv.get("variables", {})
            for item in raw["paths"].values()
            for op in item.values()
            if isinstance(op, dict)
            for srv in op.get("servers", [])
        ),
        _declare_endpoint_variable,
    ),
    Erratum(
        "consulta-invalida-400-undeclared",
        "the error catalogue documents 400 <X>ConsultaInvalida for GET /cob, /cob/{txid} (revisao), /cobv, "
        "/cobv/{txid}, /pix, /loc and /webhook, whose responses declare no 400; a 400 Problema is declared",
        lambda raw: any("400" not in raw["paths"][p]["get"]["responses"] for p in CONSULTA_INVALIDA_GETS),
        _add_consulta_400,
    ),
)

ERRATA: dict[str, tuple[Erratum, ...]] = {"pix": PIX}


def apply_errata(name: str, raw: dict) -> dict:
    """Patch ``raw`` (a copy of the official file ``name``) with its listed errata, in place."""
    for erratum in ERRATA.get(name, ()):
        if erratum.present(raw):
            erratum.apply(raw)
    return raw
