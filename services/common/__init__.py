"""Code shared by the services and the trainer: artifact format, logging, gRPC server shape."""
