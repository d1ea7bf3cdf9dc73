"""Profiles service: accounts, sessions, ratings, marks and the feedback log (the store's only writer)."""
