"""Gold domain: fraud transaction features, customer-day aggregates and credit features."""
