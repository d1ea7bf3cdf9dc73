"""Held-out-user ranking evaluation of the recommender against popularity, item-kNN, EASE and the naive hybrid."""
