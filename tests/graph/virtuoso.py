"""A throw-away Virtuoso server on 127.0.0.1 for the remote-store tests.

:func:`start_virtuoso` creates a database folder with its own ``virtuoso.ini`` (both
ports on 127.0.0.1 only, chosen free at run time, ``ResultSetMaxRows`` raised above
Debian's 10,000), starts ``virtuoso-t +foreground``, waits (bounded) until ``/sparql``
answers, changes the ``dba`` password and creates a writer account with the
``SPARQL_UPDATE`` role through ``isql-vt``. :meth:`Virtuoso.stop` ends the server by its
process id.

The writer account, not a grant to the anonymous ``SPARQL`` user, is what the tests
use: ``/sparql`` stays read-only as on a real server, writes go to ``/sparql-auth``
with HTTP Digest authentication, and a wrong password can be tested.

Debian's package: ``apt-get install --no-install-recommends virtuoso-opensource``
(``virtuoso-t`` and ``isql-vt`` in /usr/bin). When ``virtuoso-t`` is absent the tests
skip with :data:`SKIP_REASON`.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

__all__ = ["SKIP_REASON", "Virtuoso", "available", "free_port", "start_virtuoso"]

SKIP_REASON = (
    "Virtuoso is not installed (virtuoso-t not on PATH); install it with "
    "`apt-get install --no-install-recommends virtuoso-opensource` to run the remote-store tests"
)

#: Where Debian's package keeps the VAD packages and the HTTP server root.
_SHARE = Path("/usr/share/virtuoso-opensource-7")
_VSP = Path("/var/lib/virtuoso-opensource-7/vsp")

_INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
CaseMode                 = 2
AllowOSCalls             = 0
DirsAllowed              = ., {dir}, {share}/vad
VADInstallDir            = {share}/vad/
NumberOfBuffers          = 10000
MaxDirtyBuffers          = 6000
MaxQueryMem              = 256M

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {vsp}
MaxClientConnections        = 10
ServerThreads               = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
Charset                     = UTF-8

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
"""


def available() -> bool:
    """True when ``virtuoso-t`` and ``isql-vt`` are on the PATH."""
    return shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Virtuoso:
    """A running server.

    Attributes:
        folder: Its database folder (``virtuoso.ini``, the database, the log).
        http_port: The HTTP port (``/sparql``, ``/sparql-auth``) on 127.0.0.1.
        sql_port: The SQL port (``isql-vt``) on 127.0.0.1.
        process: The ``virtuoso-t`` process.
        dba_password: The ``dba`` password set at start.
        user: The writer account (role ``SPARQL_UPDATE``).
        password: Its password.
    """

    folder: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen[bytes]
    dba_password: str = "dba"
    user: str = "kmgwriter"
    password: str = ""

    @property
    def sparql(self) -> str:
        """The anonymous, read-only endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def sparql_auth(self) -> str:
        """The endpoint that asks for Digest authentication (reads and writes)."""
        return f"http://127.0.0.1:{self.http_port}/sparql-auth"

    def isql(self, statements: str, *, password: str | None = None) -> str:
        """Run SQL statements as ``dba``; raise with the output when isql-vt fails."""
        done = subprocess.run(
            [
                "isql-vt",
                f"127.0.0.1:{self.sql_port}",
                "dba",
                password or self.dba_password,
                f"exec={statements}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql-vt failed ({done.returncode}): {output.strip()}")
        return output

    def log(self) -> str:
        """The end of the server's log (for failure messages)."""
        text = ""
        for name in ("virtuoso.log", "stdout.log"):
            file = self.folder / name
            if file.is_file():
                text += file.read_text(encoding="utf-8", errors="replace")[-2000:]
        return text

    def stop(self, timeout: float = 20.0) -> None:
        """End the server by its process id (TERM, then KILL after ``timeout`` seconds)."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def _wait_for_sparql(server: Virtuoso, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {server.process.returncode}:\n{server.log()}")
        try:
            answer = requests.get(server.sparql, params={"query": "ASK {}"}, timeout=2)
            if answer.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"/sparql did not answer in time:\n{server.log()}")


def start_virtuoso(folder: Path, *, timeout: float = 90.0) -> Virtuoso:
    """Create a database in ``folder``, start the server and set up the writer account.

    Args:
        folder: An empty folder for the database, the ini file and the logs.
        timeout: Seconds to wait for ``/sparql`` to answer.

    Raises:
        RuntimeError: The server did not start (the message carries its log).
    """
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    while sql_port == http_port:
        sql_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        _INI.format(dir=folder, sql_port=sql_port, http_port=http_port, share=_SHARE, vsp=_VSP),
        encoding="utf-8",
    )
    with open(folder / "stdout.log", "wb") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed binary with our own arguments
            ["virtuoso-t", "+foreground", "+configfile", str(ini)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Virtuoso(folder, http_port, sql_port, process)
    try:
        _wait_for_sparql(server, time.monotonic() + timeout)
        dba = secrets.token_hex(8)
        server.isql(f"USER_SET_PASSWORD('dba', '{dba}');", password="dba")
        server.dba_password = dba
        server.password = secrets.token_hex(8)
        server.isql(
            f"DB.DBA.USER_CREATE('{server.user}', '{server.password}'); GRANT SPARQL_UPDATE TO \"{server.user}\";"
        )
    except BaseException:
        server.stop()
        raise
    return server
