"""A throwaway nginx on loopback, from Debian's package: a plain load balancer for tests.

`ThrowawayNginx(backends).start()` writes a configuration in a temporary folder and runs
`nginx -g 'daemon off;'` with it: round robin over the backends, no stickiness, and a request
that fails to connect (or whose backend dies before answering) passed on to the next backend
(`proxy_next_upstream ... non_idempotent`: safe here because a webhook stored twice is a
duplicate the inbox recognises). It raises `NginxUnavailable` with the reason when there is no
binary or it does not start; the tests then skip with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.server import free_port
from tests.postgres import stop_process, wait_for_port

CONFIG = """
worker_processes 1;
{user}
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream assistant {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://assistant;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 4;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


class NginxUnavailable(RuntimeError):
    """No nginx can be started here; the message says why."""


class ThrowawayNginx:
    """nginx balancing over `backends` (ports on 127.0.0.1)."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.port = 0
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the balancer's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThrowawayNginx:
        """Start nginx; raise NginxUnavailable if impossible."""
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise NginxUnavailable("nginx not found (install Debian's 'nginx' package; "
                                   ".ci/run does)")
        self.folder = Path(tempfile.mkdtemp(prefix="migrant-bot-nginx-"))
        os.chmod(self.folder, 0o755)
        self.port = free_port()
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=0;"
                            for port in self.backends)
        user = "user nobody nogroup;" if os.geteuid() == 0 else ""
        config = self.folder / "nginx.conf"
        config.write_text(CONFIG.format(folder=self.folder, servers=servers, port=self.port,
                                        user=user))
        self.process = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(self.folder), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_for_port(self.port, 15):
            error = b""
            if self.process.poll() is not None and self.process.stderr is not None:
                error = self.process.stderr.read()[-500:]
            self.stop()
            raise NginxUnavailable(f"nginx did not start {error.decode(errors='replace')}")
        return self

    def stop(self) -> None:
        """Stop nginx and delete its folder."""
        stop_process(self.process)
        self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
