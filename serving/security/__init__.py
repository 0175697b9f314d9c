"""Security primitives of the gateway: CPF/CNPJ checks, password hashing, signing keys, JWTs, step-up."""
