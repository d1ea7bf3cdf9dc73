"""Helpers shared by the tests and the benchmarks: artifacts to serve, servers on free ports, the reference ranker.

Neither tests/ nor bench/ import each other for these; both import this package.
"""
