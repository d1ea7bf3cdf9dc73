"""Optional TLS between the services: PEM files checked at start-up, gRPC server and channel credentials.

Plaintext stays the default (local runs, tests). A server with a certificate and key serves TLS only;
with a client CA too it also requires every client to present a certificate that CA signed (mutual
TLS). A client with a CA verifies the server's certificate against it (and, with its own certificate
and key, can answer a server that asks for one). Files are read once, at start-up: rotating a
certificate means restarting the process (rolling restarts keep the service up).
"""
from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc

__all__ = ["ClientTls", "ServerTls", "aio_channel", "blocking_channel", "client_tls", "server_tls"]


def read_pem(path: Path | str, what: str) -> bytes:
    """The bytes of a PEM file; ValueError naming `what` and the path when it cannot be read or is not PEM."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read the {what} {path}: {e.strerror or e}") from None
    if b"-----BEGIN " not in data:
        raise ValueError(f"the {what} {path} is not PEM (no '-----BEGIN' line)")
    return data


def _check_pair(cert: Path | str, key: Path | str, names: str) -> None:
    """Raises ValueError unless the key is unencrypted and belongs to the first certificate in `cert`.

    gRPC would take a mismatched pair without complaint and fail every handshake later; OpenSSL (the
    ssl module) says so now. The password callback returns nothing: gRPC cannot use an encrypted key,
    and OpenSSL must not prompt on a terminal for one.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert, key, password=lambda: b"")
    except ssl.SSLError as e:
        raise ValueError(f"{names}: the certificate {cert} and key {key} are not a usable pair "
                         f"(mismatched, encrypted or malformed: {e.reason or e})") from None


def _check_ca(path: Path | str, name: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=path)
    except ssl.SSLError as e:
        raise ValueError(f"{name}: {path} holds no usable CA certificate ({e.reason or e})") from None


@dataclass(frozen=True)
class ServerTls:
    """A server's certificate chain and key (PEM bytes); with `client_ca`, clients must present a certificate."""

    cert_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self.private_key, self.cert_chain)], root_certificates=self.client_ca,
                                           require_client_auth=self.client_ca is not None)


@dataclass(frozen=True)
class ClientTls:
    """What a client trusts (`root_ca`), its own certificate and key for mutual TLS, and the name to
    check in the server's certificate when the address is not one of its names (e.g. an IP)."""

    root_ca: bytes
    cert_chain: bytes | None = None
    private_key: bytes | None = None
    server_name: str | None = None

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(self.root_ca, self.private_key, self.cert_chain)

    def channel_options(self) -> list[tuple[str, str]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []


def server_tls(cert: Path | str | None, key: Path | str | None, client_ca: Path | str | None,
               names: tuple[str, str, str] = ("tls_cert", "tls_key", "tls_client_ca")) -> ServerTls | None:
    """ServerTls from file paths (None when neither cert nor key is given), checked; ValueError naming
    the settings (`names`, e.g. the environment variables) when they do not fit together."""
    cert_name, key_name, ca_name = names
    if cert is None and key is None:
        if client_ca is not None:
            raise ValueError(f"{ca_name} (mutual TLS) needs the server's own {cert_name} and {key_name}")
        return None
    if cert is None or key is None:
        given, missing = (cert_name, key_name) if cert is not None else (key_name, cert_name)
        raise ValueError(f"{given} is set but {missing} is not: a TLS server needs both (or neither, for plaintext)")
    tls = ServerTls(read_pem(cert, f"certificate ({cert_name})"), read_pem(key, f"private key ({key_name})"),
                    read_pem(client_ca, f"client CA ({ca_name})") if client_ca is not None else None)
    _check_pair(cert, key, f"{cert_name}/{key_name}")
    if client_ca is not None:
        _check_ca(client_ca, ca_name)
    return tls


def client_tls(ca: Path | str | None, cert: Path | str | None = None, key: Path | str | None = None,
               server_name: str | None = None,
               names: tuple[str, str, str, str] = ("tls_ca", "tls_cert", "tls_key", "tls_server_name"),
               ) -> ClientTls | None:
    """ClientTls from file paths (None without `ca`: plaintext), checked like server_tls."""
    ca_name, cert_name, key_name, server_name_name = names
    if ca is None:
        extra = [n for n, v in ((cert_name, cert), (key_name, key), (server_name_name, server_name)) if v]
        if extra:
            raise ValueError(f"{', '.join(extra)} only appl{'ies' if len(extra) == 1 else 'y'} with TLS: set "
                             f"{ca_name}, the CA that signed the servers' certificates")
        return None
    if (cert is None) != (key is None):
        given, missing = (cert_name, key_name) if cert is not None else (key_name, cert_name)
        raise ValueError(f"{given} is set but {missing} is not: a client certificate needs its key")
    root = read_pem(ca, f"CA certificate ({ca_name})")
    _check_ca(ca, ca_name)
    chain = private_key = None
    if cert is not None and key is not None:
        chain, private_key = read_pem(cert, f"certificate ({cert_name})"), read_pem(key, f"private key ({key_name})")
        _check_pair(cert, key, f"{cert_name}/{key_name}")
    return ClientTls(root, chain, private_key, server_name or None)


def aio_channel(address: str, tls: ClientTls | None, options: list[tuple[str, object]]) -> grpc.aio.Channel:
    """A grpc.aio channel: plaintext without `tls`, else TLS verified against its CA."""
    if tls is None:
        return grpc.aio.insecure_channel(address, options=options)
    return grpc.aio.secure_channel(address, tls.credentials(), options=[*options, *tls.channel_options()])


def blocking_channel(address: str, tls: ClientTls | None,
                     options: Sequence[tuple[str, object]] = ()) -> grpc.Channel:
    """The same as aio_channel, for blocking code (health probe, reflection tool)."""
    if tls is None:
        return grpc.insecure_channel(address, options=list(options))
    return grpc.secure_channel(address, tls.credentials(), options=[*options, *tls.channel_options()])
