"""Container health probe: `python -m services.common.healthcheck HOST:PORT` exits 0 when SERVING.

Plaintext unless HEALTHCHECK_TLS_CA is set (the CA that signed the server's certificate); then
HEALTHCHECK_TLS_SERVER_NAME is the name checked in that certificate (needed when it does not list
the probed host, e.g. 127.0.0.1), and HEALTHCHECK_TLS_CERT / HEALTHCHECK_TLS_KEY the client
certificate a mutual-TLS server requires. Exit codes: 0 SERVING, 1 not serving or no answer, 2 usage
or TLS settings.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.tls import blocking_channel, client_tls

ENV = ("HEALTHCHECK_TLS_CA", "HEALTHCHECK_TLS_CERT", "HEALTHCHECK_TLS_KEY", "HEALTHCHECK_TLS_SERVER_NAME")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m services.common.healthcheck HOST:PORT", file=sys.stderr)
        return 2
    values = [os.environ.get(name, "").strip() or None for name in ENV]
    try:
        ca, cert, key = (Path(v) if v else None for v in values[:3])
        tls = client_tls(ca, cert, key, values[3], names=ENV)
    except ValueError as e:
        print(f"{argv[0]}: {e}", file=sys.stderr)
        return 2
    try:
        with blocking_channel(argv[0], tls) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2.0)
    except grpc.RpcError as e:
        hint = " (if the server speaks TLS, set HEALTHCHECK_TLS_CA)" if tls is None and \
            e.code() == grpc.StatusCode.UNAVAILABLE else ""
        print(f"{argv[0]}: {e.code().name}{hint}", file=sys.stderr)
        return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(f"{argv[0]}: {status}{' (TLS)' if tls else ''}")
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
