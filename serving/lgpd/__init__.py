"""LGPD in the gateway: consent checks, data-subject identifiers, access export, erasure, explanations."""
