"""Hash-chained audit log: event model and chain verification (chain), stores (store), pseudonyms."""
