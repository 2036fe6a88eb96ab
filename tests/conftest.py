from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.workspace import init_workspace

TESTS = Path(__file__).parent
DATA = TESTS / "data"
SEEDS = DATA / "seeds"


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """No test reads the developer's HOME, workspace variable or SMTP password."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("REPORTGEN_WORKSPACE", "REPORTGEN_SMTP_PASSWORD", "REPORTGEN_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")  # the server clock must not matter


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def _pristine_workspace(tmp_path_factory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("pristine") / "ws").root


@pytest.fixture
def workspace_dir(tmp_path, _pristine_workspace) -> Path:
    """A fresh workspace made by `init`, copied per test."""
    target = tmp_path / "ws"
    shutil.copytree(_pristine_workspace, target)
    return target


@pytest.fixture
def workspace(workspace_dir):
    from reportgen.workspace import Workspace

    return Workspace(workspace_dir)


def soffice() -> str | None:
    from reportgen.office import find_soffice

    return find_soffice()


needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) không có trên máy này")


# --- a real IMAP server ------------------------------------------------------------------------
class Dovecot:
    """Dovecot on 127.0.0.1 with a throw-away configuration: implicit TLS with a certificate
    of a test CA, one mailbox per test user (see :meth:`account`)."""

    def __init__(self, root: Path):
        import itertools
        import socket

        import trustme

        self.root = root
        self.port = _free_port(socket)
        ca = trustme.CA()
        ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(root / "server.pem"))
        self.ca_file = root / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        # Accounts are made before the server starts: Dovecot re-reads the file on a change of
        # its time stamp, which two quick writes within one second do not make.
        self.users = root / "users"
        self.users.write_text("".join(f"vanphong{n}:{{PLAIN}}mat-khau-{n}::::::\n" for n in range(1, 201)))
        self._names = itertools.count(1)
        self.config = root / "dovecot.conf"

    def start(self) -> None:
        import os
        import pwd
        import subprocess
        import time

        mail = self.root / "mail"
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:  # as root, Dovecot's own users run its processes
            uid, gid, internal, login = 8, 8, "dovecot", "dovenull"
            os.chown(mail, uid, gid)
        else:
            uid, gid = os.getuid(), os.getgid()
            internal = login = pwd.getpwuid(uid).pw_name
        self.config.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.root}/server.pem
ssl_key = <{self.root}/server.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
mail_location = maildir:{mail}/%n
first_valid_uid = {uid}
last_valid_uid = {uid}
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {self.users}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        log = (self.root / "start.log").open("wb")  # not a pipe: the daemon keeps its streams open
        subprocess.run(["dovecot", "-c", str(self.config)], check=True, stdout=log, stderr=log, timeout=30)
        for _ in range(100):
            try:
                with socket_connect(self.port):
                    return
            except OSError:
                time.sleep(0.05)
        message = "dovecot did not listen"
        raise RuntimeError(message)

    def stop(self) -> None:
        import subprocess

        subprocess.run(
            ["doveadm", "-c", str(self.config), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )

    def account(self) -> tuple[str, str]:
        """A new, empty mailbox: (user, password)."""
        number = next(self._names)
        return f"vanphong{number}", f"mat-khau-{number}"

    def box(self, user: str, password: str):
        import ssl

        from imap_tools import MailBox

        context = ssl.create_default_context(cafile=str(self.ca_file))
        return MailBox("127.0.0.1", self.port, ssl_context=context).login(user, password)


def _free_port(socket) -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def socket_connect(port: int):
    import socket

    return socket.create_connection(("127.0.0.1", port), timeout=1)


@pytest.fixture(scope="session")
def dovecot():
    """A Dovecot for the session; tests skip cleanly when it is not installed or cannot start."""
    import os
    import tempfile

    if shutil.which("dovecot") is None:
        pytest.skip("Dovecot (dovecot-imapd) không có trên máy này")
    root = Path(tempfile.mkdtemp(prefix="reportgen-dovecot-"))
    os.chmod(root, 0o755)  # its login processes run as another user
    server = Dovecot(root)
    try:
        server.start()
    except Exception as error:  # noqa: BLE001 - no IMAP server: the mailbox tests skip
        server.stop()
        pytest.skip(f"Dovecot không khởi động được: {error}")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)
