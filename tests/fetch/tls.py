"""A throwaway CA, a server certificate for one hostname, and a tiny HTTPS server on loopback."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class TlsServer:
    """Where the server listens and what it saw."""

    port: int
    client_context: ssl.SSLContext  # trusts the throwaway CA only
    server_names: list[str | None] = field(default_factory=list)  # SNI of each handshake


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    dns: str | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _contexts(certificate_hostname: str, directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context presenting a certificate for the hostname, client context trusting its CA)."""
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fetch test CA")])
    ca = _certificate("fetch test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate(certificate_hostname, leaf_key, ca_name, ca_key, ca=False, dns=certificate_hostname)
    cert_path, key_path = directory / "leaf.pem", directory / "leaf.key"
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


@asynccontextmanager
async def serve_tls(certificate_hostname: str) -> AsyncIterator[TlsServer]:
    """An HTTPS server on 127.0.0.1 whose certificate names `certificate_hostname`; it echoes the Host header."""
    with tempfile.TemporaryDirectory() as directory:
        server_context, client_context = _contexts(certificate_hostname, Path(directory))
    seen: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: seen.append(name)  # type: ignore[func-returns-value]
    server = await asyncio.start_server(_echo_host, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield TlsServer(port=port, client_context=client_context, server_names=seen)


async def _echo_host(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        host = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"host:"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n")
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(host), host))
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
        pass  # the client rejected our certificate: nothing to answer
    finally:
        writer.close()
