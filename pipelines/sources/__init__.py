"""External systems: for each, a client that speaks the real protocol and a sandbox server; plus the world simulator."""
