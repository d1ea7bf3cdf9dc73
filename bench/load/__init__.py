"""Load benchmark of the whole stack (Redis, matcher, scorer, gateway) against a one-process monolith."""
