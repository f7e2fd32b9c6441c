"""A loopback stand-in for a download host, reached through ``HTTPS_PROXY``.

Clients that honour ``HTTPS_PROXY`` (requests, hence ``mim download``) ask it
to tunnel to ``https://<host>/<path>`` (``CONNECT host:443``). It answers the
tunnel itself, with TLS under a self-signed certificate for the given host
names made by the ``openssl`` command, which the client trusts through
``REQUESTS_CA_BUNDLE`` (see :attr:`LoopbackDownloadHost.client_env`); it
serves one body for every path and records which host and path were asked
for. It listens on 127.0.0.1 only; nothing leaves the machine.
"""
import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Dict, List, Tuple


class _TunnelHandler(http.server.BaseHTTPRequestHandler):

    def do_CONNECT(self):
        self.tunnel_to = self.path  # host:port the client believes it reaches
        self.send_response(200, 'Connection established')
        self.end_headers()
        self.connection = self.server.tls.wrap_socket(
            self.connection, server_side=True)
        self.rfile = self.connection.makefile('rb')
        self.wfile = self.connection.makefile('wb')
        self.close_connection = False  # the request comes inside the tunnel

    def do_GET(self):
        self.server.requests.append((getattr(self, 'tunnel_to', None),
                                     self.path))
        body = self.server.body
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def finish(self):
        super().finish()
        self.connection.close()  # the TLS socket, when a tunnel was opened

    def log_message(self, format, *args):
        """Quiet: the test asserts on ``requests`` instead."""


class LoopbackDownloadHost:
    """Serve ``body`` for any https URL to clients using this as their proxy.

    Args:
        body: The bytes every ``GET`` returns.
        hosts: Host names the certificate is valid for.
        workdir: Where the certificate and key are written.

    Attributes:
        client_env: Environment variables that send a client's https
            requests here and make it trust the certificate.
        requests: ``(host:port, path)`` of every ``GET``, in order.
    """

    def __init__(self, body: bytes, hosts: List[str], workdir: Path):
        openssl = shutil.which('openssl')
        assert openssl, 'the openssl command is needed for the certificate'
        cert, key = workdir / 'cert.pem', workdir / 'key.pem'
        subprocess.run([
            openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
            '-keyout', str(key), '-out', str(cert), '-days', '1', '-subj',
            '/CN=loopback-download-host', '-addext',
            'subjectAltName=' + ','.join(f'DNS:{host}' for host in hosts)
        ], check=True, capture_output=True)
        self.cert = cert
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      _TunnelHandler)
        self.server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.tls.load_cert_chain(cert, key)
        self.server.body = body
        self.server.requests = []
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)

    @property
    def client_env(self) -> Dict[str, str]:
        proxy = f'http://127.0.0.1:{self.server.server_address[1]}'
        return dict(
            HTTPS_PROXY=proxy,
            https_proxy=proxy,
            NO_PROXY='',
            no_proxy='',
            REQUESTS_CA_BUNDLE=str(self.cert))

    @property
    def requests(self) -> List[Tuple[str, str]]:
        return self.server.requests

    def __enter__(self) -> 'LoopbackDownloadHost':
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
