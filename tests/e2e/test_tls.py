"""TLS and mTLS with a throw-away CA: encrypted clients get in, plaintext and unknown ones don't."""

from __future__ import annotations

import pytest

pytest.importorskip("cryptography")

from semspace.client import Client, UnavailableError
from tests.certificates import CertificateAuthority


@pytest.fixture
def ca(tmp_path):
    return CertificateAuthority(tmp_path)


def test_a_client_trusting_the_ca_talks_tls(start_server, ca) -> None:
    pem = ca.issue("server", server=True)
    server = start_server(tls_cert_file=pem.cert, tls_key_file=pem.key)
    with Client(server.address, ca_file=ca.pem.cert) as client:
        assert client.health() == "SERVING"
        client.create_space("secret", 2, "l2")
        assert client.list_spaces()[0].name == "secret"


def test_a_plaintext_client_is_refused_by_a_tls_server(start_server, ca) -> None:
    pem = ca.issue("server", server=True)
    server = start_server(tls_cert_file=pem.cert, tls_key_file=pem.key)
    with Client(server.address, timeout=3) as client, pytest.raises(UnavailableError):
        client.list_spaces()


def test_a_client_that_does_not_trust_the_servers_ca_is_refused(start_server, ca, tmp_path) -> None:
    pem = ca.issue("server", server=True)
    server = start_server(tls_cert_file=pem.cert, tls_key_file=pem.key)
    (tmp_path / "other").mkdir()
    stranger = CertificateAuthority(tmp_path / "other", "other CA")
    client = Client(server.address, ca_file=stranger.pem.cert, timeout=3)
    with client, pytest.raises(UnavailableError):
        client.list_spaces()


def test_mtls_admits_a_client_certificate_signed_by_the_client_ca(start_server, ca) -> None:
    pem = ca.issue("server", server=True)
    server = start_server(
        tls_cert_file=pem.cert, tls_key_file=pem.key, tls_client_ca_file=ca.pem.cert
    )
    mine = ca.issue("client", server=False)
    with Client(
        server.address, ca_file=ca.pem.cert, cert_file=mine.cert, key_file=mine.key
    ) as client:
        assert client.list_spaces() == []


def test_mtls_refuses_a_client_without_a_certificate(start_server, ca) -> None:
    pem = ca.issue("server", server=True)
    server = start_server(
        tls_cert_file=pem.cert, tls_key_file=pem.key, tls_client_ca_file=ca.pem.cert
    )
    client = Client(server.address, ca_file=ca.pem.cert, timeout=3)
    with client, pytest.raises(UnavailableError):
        client.list_spaces()


def test_mtls_refuses_a_client_certificate_from_another_ca(start_server, ca, tmp_path) -> None:
    pem = ca.issue("server", server=True)
    server = start_server(
        tls_cert_file=pem.cert, tls_key_file=pem.key, tls_client_ca_file=ca.pem.cert
    )
    (tmp_path / "other").mkdir()
    forged = CertificateAuthority(tmp_path / "other", "other CA").issue("client", server=False)
    with (
        Client(
            server.address,
            ca_file=ca.pem.cert,
            cert_file=forged.cert,
            key_file=forged.key,
            timeout=3,
        ) as client,
        pytest.raises(UnavailableError),
    ):
        client.list_spaces()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (("key", "key"), r"tls_cert_file: .* is not PEM holding '-----BEGIN CERTIFICATE-----'"),
        (("cert", "cert"), r"tls_key_file: .* is not PEM holding 'PRIVATE KEY-----'"),
        # Both PEM, but the key is not the certificate's: gRPC refuses the pair.
        (("cert", "other key"), r"could not bind .* tls_cert_file and tls_key_file not match"),
    ],
)
def test_unusable_certificate_files_are_named(start_server, ca, files, message) -> None:
    pem, other = ca.issue("server", server=True), ca.issue("other", server=True)
    paths = {"cert": pem.cert, "key": pem.key, "other key": other.key}
    with pytest.raises((ValueError, OSError), match=message):
        start_server(tls_cert_file=paths[files[0]], tls_key_file=paths[files[1]])
