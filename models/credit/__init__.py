"""Credit suitability: probability of default in 6 months, 0-1000 score, Serasa bands, adverse reasons."""
