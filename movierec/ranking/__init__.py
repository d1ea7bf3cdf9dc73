"""The ranking core shared by the scorer (serving) and the trainer (blend search): pure numpy.

parts.py defines each part of the hybrid score plainly (and batched, for the trainer's search);
ranker.py is the fast per-request Ranker the scorer serves, checked against parts.py by the tests.
"""
