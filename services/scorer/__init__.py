"""Scorer service: holds the MF factors and genre vectors and ranks movies over gRPC."""
