"""Live Python/R/exact parity: every fixture case in both languages, through one embedded R."""
