"""Throwaway certificates for the TLS tests, made at test time, and matcher/scorer processes serving TLS."""
from __future__ import annotations

import datetime
import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from scripts.stack import Process, free_port, spawn, wait_until
from services.common.tls import ClientTls, blocking_channel, client_tls


@dataclass(frozen=True)
class Pki:
    """PEM files: a CA, a server certificate it signed for localhost and 127.0.0.1, a client certificate
    it signed, and a second CA ('other') with a client certificate of its own."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    other_client_cert: Path
    other_client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, issuer_key: ec.EllipticCurvePrivateKey,
                 *, ca: bool, sans: list[x509.GeneralName] = (), usages: list = ()) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate | None = None, key: ec.EllipticCurvePrivateKey | None = None) -> Path:
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


def make_pki(directory: Path) -> Pki:
    """Writes the files into `directory` (P-256 keys: quick to make, and gRPC takes them)."""
    def key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    ca_key, other_key = key(), key()
    ca = _certificate("movierec test CA", ca_key, "movierec test CA", ca_key, ca=True)
    other = _certificate("some other CA", other_key, "some other CA", other_key, ca=True)
    server_key, client_key, other_client_key = key(), key(), key()
    server = _certificate("localhost", server_key, "movierec test CA", ca_key, ca=False,
                          sans=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
                          # serverAuth for serving, clientAuth so a health probe may present it to an mTLS port
                          usages=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    client = _certificate("gateway", client_key, "movierec test CA", ca_key, ca=False,
                          sans=[x509.DNSName("gateway")], usages=[ExtendedKeyUsageOID.CLIENT_AUTH])
    stranger = _certificate("stranger", other_client_key, "some other CA", other_key, ca=False,
                            sans=[x509.DNSName("stranger")], usages=[ExtendedKeyUsageOID.CLIENT_AUTH])
    d = directory
    return Pki(_write(d / "ca.pem", ca), _write(d / "server.pem", server), _write(d / "server.key", key=server_key),
               _write(d / "client.pem", client), _write(d / "client.key", key=client_key),
               _write(d / "other-ca.pem", other), _write(d / "stranger.pem", stranger),
               _write(d / "stranger.key", key=other_client_key))


def server_env(prefix: str, pki: Pki, mutual: bool = False) -> dict[str, str]:
    """The TLS settings of a matcher (prefix MATCHER_) or scorer (SCORER_) process."""
    env = {f"{prefix}TLS_CERT": str(pki.server_cert), f"{prefix}TLS_KEY": str(pki.server_key)}
    if mutual:
        env[f"{prefix}TLS_CLIENT_CA"] = str(pki.ca)
    return env


def client(pki: Pki, with_cert: bool = False) -> ClientTls:
    tls = client_tls(pki.ca, pki.client_cert if with_cert else None, pki.client_key if with_cert else None)
    assert tls is not None
    return tls


def serving(address: str, tls: ClientTls) -> bool:
    try:
        with blocking_channel(address, tls) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=0.5)
        return reply.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


def start_tls_service(name: str, artifact_dir: Path, log_dir: Path, pki: Pki, mutual: bool = False,
                      timeout: float = 60.0) -> tuple[Process, str]:
    """`python -m services.<name>` serving TLS (mutual TLS with `mutual`) on a free port: (process, address)."""
    prefix = name.upper() + "_"
    address = f"127.0.0.1:{free_port()}"
    env = {f"{prefix}ADDRESS": address, f"{prefix}ARTIFACT_DIR": str(artifact_dir), f"{prefix}RELOAD_SECONDS": "0",
           **server_env(prefix, pki, mutual)}
    proc = spawn(f"{name}-tls{'-mutual' if mutual else ''}", [sys.executable, "-m", f"services.{name}"], env, log_dir)
    probe = client(pki, with_cert=mutual)
    try:
        wait_until(proc, lambda: serving(address, probe), timeout)
    except RuntimeError:
        proc.stop()
        raise
    return proc, address
