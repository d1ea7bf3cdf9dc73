"""A grpcurl-like command over server reflection: list a server's services, describe and call an RPC.

    python -m services.client.reflect 127.0.0.1:50051 list
    python -m services.client.reflect 127.0.0.1:50051 describe movierec.v1.Matcher
    python -m services.client.reflect 127.0.0.1:50051 call movierec.v1.Matcher/Resolve '{"queries": ["heat"]}'
    python -m services.client.reflect --tls-ca ca.pem matcher:50051 list    # a server that speaks TLS

Nothing of movierec's contract is imported (only its TLS helper): every type comes from the server's
reflection service, as it would for another team's tool (the JSON request and reply use protobuf's
JSON mapping).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from services.common.tls import blocking_channel, client_tls


class Reflected:
    """The services and message types a server describes through reflection (blocking channel)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel
        self.database = ProtoReflectionDescriptorDatabase(channel)
        self.pool = descriptor_pool.DescriptorPool(self.database)

    def services(self) -> list[str]:
        return sorted(self.database.get_services())

    def methods(self, service: str) -> list[str]:
        return [m.name for m in self.pool.FindServiceByName(service).methods]

    def call(self, full_method: str, request_json: str, timeout: float = 5.0,
             metadata: tuple[tuple[str, str], ...] = ()) -> dict:
        """Calls `package.Service/Method` with a JSON request; the reply as a dict (protobuf JSON names)."""
        service, _, name = full_method.rpartition("/")
        method = self.pool.FindServiceByName(service).methods_by_name[name]
        request_cls = message_factory.GetMessageClass(method.input_type)
        reply_cls = message_factory.GetMessageClass(method.output_type)
        request = json_format.Parse(request_json or "{}", request_cls())
        rpc = self.channel.unary_unary(f"/{service}/{name}", request_serializer=request_cls.SerializeToString,
                                       response_deserializer=reply_cls.FromString)
        return json_format.MessageToDict(rpc(request, timeout=timeout, metadata=metadata))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.client.reflect", description=__doc__.splitlines()[0])
    parser.add_argument("address", help="host:port of a matcher or scorer")
    parser.add_argument("--tls-ca", type=Path, help="PEM CA of the server's certificate: connect with TLS")
    parser.add_argument("--tls-cert", type=Path, help="PEM client certificate (servers that require mutual TLS)")
    parser.add_argument("--tls-key", type=Path, help="PEM key of --tls-cert")
    parser.add_argument("--tls-server-name", help="name to check in the server's certificate instead of the host")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="services the server offers")
    describe = sub.add_parser("describe", help="RPCs of one service")
    describe.add_argument("service")
    call = sub.add_parser("call", help="call one RPC with a JSON request")
    call.add_argument("method", help="package.Service/Method")
    call.add_argument("request", nargs="?", default="{}", help="JSON request body")
    call.add_argument("--request-id", default=None, help="x-request-id metadata to send")
    args = parser.parse_args(argv)
    try:
        tls = client_tls(args.tls_ca, args.tls_cert, args.tls_key, args.tls_server_name,
                         names=("--tls-ca", "--tls-cert", "--tls-key", "--tls-server-name"))
    except ValueError as e:
        parser.error(str(e))
    with blocking_channel(args.address, tls) as channel:
        reflected = Reflected(channel)
        try:
            if args.command == "list":
                print("\n".join(reflected.services()))
            elif args.command == "describe":
                print("\n".join(f"{args.service}/{m}" for m in reflected.methods(args.service)))
            else:
                metadata = (("x-request-id", args.request_id),) if args.request_id else ()
                print(json.dumps(reflected.call(args.method, args.request, metadata=metadata), indent=2,
                                 ensure_ascii=False))
        except grpc.RpcError as e:
            print(f"error: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
        except KeyError as e:
            print(f"error: not offered by the server: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
