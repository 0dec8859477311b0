"""One kwsapp per user session: a second start finds the first through a local socket, asks it to show its window,
and exits, instead of opening the microphone twice. ``kwsapp --new-instance`` skips this."""

from __future__ import annotations

import getpass
import os

from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500


def server_name() -> str:
    """One name per user and settings file (tests and portable installs keep their own)."""
    import hashlib

    where = os.environ.get("KWSAPP_SETTINGS", "")
    tag = hashlib.sha1(where.encode()).hexdigest()[:8] if where else "default"
    return f"kwsapp-{getpass.getuser()}-{tag}"


class SingleInstance:
    def __init__(self, name: str | None = None):
        self.name = name or server_name()
        self.server: QLocalServer | None = None

    def forward_to_running(self, request: bytes = b"show") -> bool:
        """True when another kwsapp answered (and was asked to show its window, or ``request``)."""
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(CONNECT_MS):
            return False
        sock.write(request + b"\n")
        sock.waitForBytesWritten(CONNECT_MS)
        sock.disconnectFromServer()
        return True

    def listen(self, on_show, on_toggle=None) -> bool:
        """Answer later starts by calling ``on_show`` (or ``on_toggle`` for ``kwsapp --toggle-listening``); False when
        the name could not be taken (then every start opens its own window, as before)."""
        QLocalServer.removeServer(self.name)  # a socket left by a kwsapp that crashed
        self.server = QLocalServer()
        self.server.setSocketOptions(QLocalServer.UserAccessOption)

        def accept():
            while self.server.hasPendingConnections():
                conn = self.server.nextPendingConnection()
                conn.readyRead.connect(lambda c=conn: self._read(c, on_show, on_toggle))
                conn.disconnected.connect(conn.deleteLater)

        self.server.newConnection.connect(accept)
        return self.server.listen(self.name)

    @staticmethod
    def _read(conn, on_show, on_toggle) -> None:
        data = bytes(conn.readAll())
        if data.startswith(b"show"):
            on_show()
        elif data.startswith(b"toggle") and on_toggle is not None:
            on_toggle()


def answer_for(window, instance: SingleInstance) -> bool:
    """Later starts reach ``window``: a plain start brings it forward, ``--toggle-listening`` turns listening on or
    off (a desktop keyboard shortcut, where a global hotkey cannot work). Each says so on standard output."""

    def bring_forward():
        window.showNormal()
        window.raise_()
        window.activateWindow()
        print("kwsapp: brought forward by another start", flush=True)

    def toggle_listening():
        window.menus.audio.listen.toggle()
        print(f"kwsapp: listening {'on' if window.menus.audio.listen.isChecked() else 'off'} (asked by another start)",
              flush=True)

    return instance.listen(bring_forward, toggle_listening)
