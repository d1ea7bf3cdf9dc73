"""Gateway: public HTTP API and web page in front of the matcher and scorer gRPC services."""
