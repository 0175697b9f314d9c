"""Stand-ins for the external systems cofre cannot reach, kept apart from the product packages.

Only the simulation and the sandbox servers live here; the product reaches them through the
configured client URLs, or in-process through the one embedded-profile wiring (``cofre.embedded``).
"""
