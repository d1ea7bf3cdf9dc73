"""Offline training: MovieLens 100K -> biased matrix factorisation -> a verified model artifact."""
