"""Domain primitives and data contracts: identifiers (CPF/CNPJ/PIX keys), money, BR Code, the simulated world schema."""
