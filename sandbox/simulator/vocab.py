"""Vocabulary of the simulated world: names, states, merchant categories (MCC) and their amounts.

Facts only (common Brazilian names, IBGE population shares, typical ticket sizes by MCC); the
simulator draws indices into these arrays.
"""

from __future__ import annotations

import unicodedata

import numpy as np

FIRST_NAMES = np.array(
    [
        "Maria",
        "José",
        "Ana",
        "João",
        "Francisca",
        "Antônio",
        "Antônia",
        "Francisco",
        "Adriana",
        "Carlos",
        "Juliana",
        "Paulo",
        "Márcia",
        "Pedro",
        "Fernanda",
        "Lucas",
        "Patrícia",
        "Luiz",
        "Aline",
        "Marcos",
        "Sandra",
        "Luís",
        "Camila",
        "Gabriel",
        "Amanda",
        "Rafael",
        "Bruna",
        "Daniel",
        "Jéssica",
        "Marcelo",
        "Letícia",
        "Bruno",
        "Júlia",
        "Eduardo",
        "Luciana",
        "Felipe",
        "Vanessa",
        "Raimundo",
        "Mariana",
        "Rodrigo",
        "Gabriela",
        "Manoel",
        "Vera",
        "Mateus",
        "Beatriz",
        "André",
        "Larissa",
        "Fernando",
        "Cláudia",
        "Fábio",
        "Rita",
        "Leonardo",
        "Sônia",
        "Gustavo",
        "Renata",
        "Guilherme",
        "Eliane",
        "Leandro",
        "Simone",
        "Tiago",
        "Débora",
        "Anderson",
        "Tatiane",
        "Ricardo",
        "Priscila",
        "Sebastião",
        "Raquel",
        "Vitor",
        "Helena",
        "Diego",
    ]
)
SURNAMES = np.array(
    [
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Rodrigues",
        "Ferreira",
        "Alves",
        "Pereira",
        "Lima",
        "Gomes",
        "Costa",
        "Ribeiro",
        "Martins",
        "Carvalho",
        "Almeida",
        "Lopes",
        "Soares",
        "Fernandes",
        "Vieira",
        "Barbosa",
        "Rocha",
        "Dias",
        "Nascimento",
        "Andrade",
        "Moreira",
        "Nunes",
        "Marques",
        "Machado",
        "Mendes",
        "Freitas",
        "Cardoso",
        "Ramos",
        "Gonçalves",
        "Santana",
        "Teixeira",
        "Araújo",
        "Correia",
        "Pinto",
        "Cavalcanti",
        "Monteiro",
        "Moura",
        "Batista",
        "Campos",
        "Reis",
        "Castro",
        "Azevedo",
        "Barros",
        "Miranda",
        "Medeiros",
        "Farias",
    ]
)
EMAIL_DOMAINS = np.array(
    ["gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br", "bol.com.br"]
)
EMAIL_DOMAIN_P = np.array([0.55, 0.2, 0.1, 0.07, 0.05, 0.03])


def ascii_lower(words: np.ndarray) -> np.ndarray:
    """Lower-case ASCII spelling of each word (accents removed), for e-mail addresses."""
    out = [unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode().lower() for w in words]
    return np.array(out)


FIRST_ASCII = ascii_lower(FIRST_NAMES)
SURNAME_ASCII = ascii_lower(SURNAMES)

# Federative units and approximate population shares (IBGE 2022 census).
STATES = np.array(
    [
        "SP",
        "MG",
        "RJ",
        "BA",
        "PR",
        "RS",
        "PE",
        "CE",
        "PA",
        "SC",
        "GO",
        "MA",
        "AM",
        "ES",
        "PB",
        "RN",
        "MT",
        "AL",
        "PI",
        "DF",
        "MS",
        "SE",
        "RO",
        "TO",
        "AC",
        "AP",
        "RR",
    ]
)
STATE_P = np.array(
    [
        21.9,
        10.0,
        7.9,
        6.9,
        5.6,
        5.3,
        4.5,
        4.3,
        4.0,
        3.7,
        3.5,
        3.3,
        1.9,
        1.9,
        2.0,
        1.6,
        1.8,
        1.5,
        1.6,
        1.4,
        1.4,
        1.1,
        0.8,
        0.8,
        0.4,
        0.4,
        0.3,
    ]
)
STATE_P = STATE_P / STATE_P.sum()

# Card merchant categories: (mcc, merchant name prefix, weight, median ticket in cents, log-sd).
MCC_TABLE = [
    (5411, "Supermercado", 22.0, 11_000, 0.8),
    (5812, "Restaurante", 13.0, 6_500, 0.6),
    (5814, "Lanchonete", 10.0, 3_200, 0.5),
    (4121, "Mobilidade App", 9.0, 2_400, 0.5),
    (5541, "Posto", 7.5, 17_000, 0.5),
    (5912, "Drogaria", 7.0, 5_500, 0.7),
    (5999, "Comércio", 5.0, 7_500, 0.9),
    (5311, "Lojas", 4.0, 14_000, 0.8),
    (5651, "Moda", 3.5, 17_000, 0.7),
    (5977, "Perfumaria", 3.0, 8_500, 0.6),
    (4111, "Transporte Urbano", 3.0, 500, 0.3),
    (5815, "Streaming", 3.0, 3_990, 0.3),
    (7832, "Cinema", 1.5, 4_800, 0.4),
    (5732, "Eletrônicos", 1.2, 85_000, 0.9),
    (7011, "Hotel", 0.8, 55_000, 0.7),
    (4511, "Companhia Aérea", 0.8, 110_000, 0.6),
    (5816, "Games Digitais", 1.0, 2_500, 0.9),
    (4816, "Serviços Online", 0.5, 3_000, 0.9),
    (5968, "Assinaturas", 0.4, 2_990, 0.6),
    (7995, "Apostas", 0.3, 5_000, 1.0),
]
MCC_CODES = np.array([r[0] for r in MCC_TABLE], dtype=np.int16)
MCC_PREFIX = np.array([r[1] for r in MCC_TABLE])
MCC_P = np.array([r[2] for r in MCC_TABLE])
MCC_P = MCC_P / MCC_P.sum()
MCC_MEDIAN = np.array([r[3] for r in MCC_TABLE], dtype=np.float64)
MCC_SIGMA = np.array([r[4] for r in MCC_TABLE])
# categories card testers probe (digital goods, subscriptions, betting): present in legit traffic too
TESTING_MCC_IDX = np.array([i for i, r in enumerate(MCC_TABLE) if r[0] in (5816, 4816, 5968, 7995)])
# where card testers cash out after a successful probe
CASHOUT_MCC_IDX = np.array([i for i, r in enumerate(MCC_TABLE) if r[0] in (5732, 5999)])

COMPANY_SUFFIX = np.array(["Ltda", "S.A.", "ME", "EIRELI"])

# Bills paid by boleto or utility agreement (convênio): (name, type, median cents, log-sd, monthly prob)
BILLS = [
    ("Companhia de Energia Elétrica", "CONVENIO_ARRECADACAO", 16_000, 0.4, 0.95),
    ("Companhia de Saneamento", "CONVENIO_ARRECADACAO", 8_500, 0.4, 0.8),
    ("Provedor de Internet Fibra", "BOLETO", 11_000, 0.2, 0.75),
    ("Operadora de Telefonia Móvel", "BOLETO", 6_000, 0.3, 0.6),
    ("Condomínio Residencial", "BOLETO", 55_000, 0.4, 0.25),
    ("Plano de Saúde", "BOLETO", 45_000, 0.5, 0.2),
    ("Instituição de Ensino", "BOLETO", 70_000, 0.5, 0.12),
]
