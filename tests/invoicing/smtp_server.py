"""A minimal SMTP server on 127.0.0.1 for the e-mail tests: EHLO/HELO, MAIL, RCPT, DATA, RSET,
NOOP, QUIT, nothing more. It keeps every message it accepts; `refuse_rcpt` makes it answer
each RCPT with that reply instead (e.g. "550 5.1.1 no such mailbox")."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


def _address(argument: str) -> str:
    """`FROM:<a@b.c> SIZE=12` → `a@b.c`."""
    return argument.partition("<")[2].partition(">")[0]


class _Session(socketserver.StreamRequestHandler):
    server: SmtpServer

    def _reply(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())

    def handle(self) -> None:
        sender, recipients = "", list[str]()
        self._reply("220 127.0.0.1 ESMTP test server")
        while line := self.rfile.readline():
            command = line.decode("ascii").rstrip("\r\n")
            verb, _, argument = command.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self._reply("250-127.0.0.1", "250 8BITMIME")
            elif verb == "HELO":
                self._reply("250 127.0.0.1")
            elif verb == "MAIL":
                sender, recipients = _address(argument), []
                self._reply("250 2.1.0 OK")
            elif verb == "RCPT":
                if self.server.refuse_rcpt:
                    self._reply(self.server.refuse_rcpt)
                else:
                    recipients.append(_address(argument))
                    self._reply("250 2.1.5 OK")
            elif verb == "DATA":
                self._reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk  # dot-stuffing
                with self.server.lock:
                    # Kept with \n line ends, as a mailbox file stores a message.
                    kept = bytes(data).replace(b"\r\n", b"\n")
                    self.server.received.append(Received(sender, recipients, kept))
                self._reply("250 2.0.0 queued")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self._reply("221 2.0.0 bye")
                return
            else:
                self._reply("502 5.5.2 command not implemented")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, refuse_rcpt: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.refuse_rcpt = refuse_rcpt
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> SmtpServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()
