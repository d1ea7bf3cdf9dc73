"""The ranking core shared by the scorer (serving) and the trainer (blend search): pure numpy, but lambdamart.py.

parts.py defines each part of the hybrid score plainly (and batched, for the trainer's search);
ranker.py is the fast per-request Ranker the scorer serves, checked against parts.py by the tests;
rerank_features.py gives its top candidates' features to the re-rank stage, whose LightGBM model
lambdamart.py loads (the only module here that imports lightgbm).
"""
