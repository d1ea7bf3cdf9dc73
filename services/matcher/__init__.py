"""Matcher service: resolves typed movie titles to catalog ids and completes prefixes (gRPC)."""
