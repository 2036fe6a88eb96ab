"""The office mailbox over IMAP (imap-tools): where agencies' replies arrive, among everything else.

Only this module speaks IMAP. It connects with TLS and a verified certificate (implicit
TLS on 993, or STARTTLS), logs in with the password from an environment variable, and
hands out the messages not yet processed, each taken apart by :mod:`reportgen.mailparse`
with the time the server received it (INTERNALDATE). Messages are fetched in batches;
the headers come first, so that a message already decided is never downloaded again. A
processed message is flagged with the keyword ``Reportgen`` and, when it brought a form,
moved to ``imap.done_folder``; a message that is not ours is never touched.
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone

from .errors import MailError
from .mailparse import Incoming, header_block, message_id_of, parse

__all__ = ["Mailbox", "MemoryMailbox", "open_mailbox", "DONE_KEYWORD", "internaldate"]

DONE_KEYWORD = "Reportgen"
BATCH = 50  # messages per FETCH


_MONTHS = {m: i for i, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), start=1)}
_INTERNALDATE = re.compile(rb'INTERNALDATE "\s?(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"')
_UID = re.compile(rb"\bUID (\d+)")


def internaldate(meta: bytes) -> datetime | None:
    """The INTERNALDATE of a FETCH response line (read without the locale's month names).

    >>> internaldate(b'1 (UID 7 INTERNALDATE "12-Nov-2026 14:00:00 +0700" BODY[] {3}')
    datetime.datetime(2026, 11, 12, 14, 0, tzinfo=datetime.timezone(datetime.timedelta(seconds=25200)))
    """
    found = _INTERNALDATE.search(meta)
    if not found:
        return None
    day, month, year, hour, minute, second, sign, zh, zm = found.groups()
    offset = timedelta(hours=int(zh), minutes=int(zm)) * (1 if sign == b"+" else -1)
    number = _MONTHS.get(month.decode("ascii", "replace").lower())
    if number is None:
        return None
    return datetime(int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=timezone(offset))


class Mailbox:
    """A logged-in IMAP session on the office's folder."""

    def __init__(self, box, folder: str, done_folder: str):
        self.box = box
        self.folder = folder
        self.done_folder = done_folder

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.box.logout()
        except Exception:  # noqa: BLE001, S110 - the session is over either way
            pass

    def _criteria(self, since: date | None, before: bool = False):
        from imap_tools import AND

        parts: dict = {"no_keyword": DONE_KEYWORD}
        if since is not None:
            parts["date_lt" if before else "date_gte"] = since
        return AND(**parts)

    def older(self, since: date | None) -> int:
        """How many messages not yet processed arrived before ``since`` (left alone, not read)."""
        if since is None:
            return 0
        return len(self.box.uids(self._criteria(since, before=True)))

    def unprocessed(
        self, since: date | None = None, known: Callable[[str], bool] = lambda _: False
    ) -> Iterator[Incoming]:
        """The messages not yet processed that arrived from ``since`` on, oldest first, each read
        once: a message whose Message-ID is ``known`` (decided before) is not downloaded."""
        uids = self.box.uids(self._criteria(since))
        wanted = [uid for uid, message_id in self._ids(uids) if not known(message_id)]
        for start in range(0, len(wanted), BATCH):
            yield from self._fetch(wanted[start : start + BATCH], "BODY.PEEK[]")

    def _ids(self, uids: list[str]) -> Iterator[tuple[str, str]]:
        for start in range(0, len(uids), BATCH * 4):
            for message in self._fetch(uids[start : start + BATCH * 4], "BODY.PEEK[HEADER]", whole=False):
                yield message.uid, message.message_id

    def _fetch(self, uids: list[str], part: str, whole: bool = True) -> Iterator[Incoming]:
        if not uids:
            return
        status, data = self.box.client.uid("FETCH", ",".join(uids), f"(UID INTERNALDATE {part})")
        if status != "OK":
            raise MailError("imap-fetch", error=str(data[:1]))
        found = []
        for item in data:
            if not isinstance(item, tuple) or len(item) < 2:
                continue
            meta, raw = item[0], item[1]
            uid = _UID.search(meta)
            if uid is None:
                continue
            arrived = internaldate(meta)
            if whole:
                found.append(parse(raw, uid.group(1).decode(), arrived))
            else:
                head = header_block(raw)
                declared = re.search(rb"^message-id:\s*(<[^>\r\n]+>)", head, re.I | re.M)
                message_id = message_id_of(head, declared.group(1).decode("ascii", "replace") if declared else None)
                found.append(Incoming(uid.group(1).decode(), message_id, "", "", None, (), False))
        yield from sorted(found, key=lambda m: int(m.uid))

    def done(self, uid: str, move: bool = True) -> None:
        """Mark one message processed: flagged, and moved to the done folder when it brought a form
        (a message a person must read, a question or a PDF, stays where it is)."""
        self.box.flag([uid], DONE_KEYWORD, True)
        if move and self.done_folder:
            self.box.move([uid], self.done_folder)


def open_mailbox(settings: dict) -> Mailbox:
    """Log in to the configured mailbox; :class:`MailError` with a Vietnamese reason otherwise."""
    from imap_tools import MailBox, MailBoxStartTls
    from imap_tools.errors import MailboxLoginError

    host = settings["imap.host"]
    if not host:
        raise MailError("no-imap-host")
    variable = settings["imap.password_env"]
    password = os.environ.get(variable, "")
    if not password:
        raise MailError("no-imap-password", variable=variable)
    context = ssl.create_default_context(cafile=settings["imap.ca_file"] or None)
    security = settings["imap.security"]
    if security not in ("ssl", "starttls"):
        raise MailError("bad-imap-security", value=security)
    try:
        kind = MailBox if security == "ssl" else MailBoxStartTls
        box = kind(host, int(settings["imap.port"]), ssl_context=context, timeout=60)
        box.login(settings["imap.username"], password, initial_folder=settings["imap.folder"])
    except MailboxLoginError as exc:
        raise MailError("imap-login", host=host, user=settings["imap.username"]) from exc
    except ssl.SSLError as exc:
        raise MailError("imap-tls", host=host, error=str(exc.reason or exc)) from exc
    except OSError as exc:
        raise MailError("imap-connect", host=host, port=settings["imap.port"], error=str(exc)) from exc
    done = settings["imap.done_folder"]
    if done and not box.folder.exists(done):
        box.folder.create(done)
    return Mailbox(box, settings["imap.folder"], done)


class MemoryMailbox(Mailbox):
    """Messages held in memory, processed like the office mailbox: the demo's replies, which
    show the whole loop without a mail server."""

    def __init__(self, messages: list[Incoming]):
        super().__init__(None, "INBOX", "")
        self.messages = list(messages)
        self.processed: set[str] = set()

    def __exit__(self, *exc) -> None:
        return None

    def older(self, since: date | None) -> int:
        return sum(1 for m in self._open() if since is not None and _day(m) < since)

    def _open(self) -> list[Incoming]:
        return [m for m in self.messages if m.uid not in self.processed]

    def unprocessed(
        self, since: date | None = None, known: Callable[[str], bool] = lambda _: False
    ) -> Iterator[Incoming]:
        yield from [m for m in self._open() if (since is None or _day(m) >= since) and not known(m.message_id)]

    def done(self, uid: str, move: bool = True) -> None:
        self.processed.add(uid)


def _day(message: Incoming) -> date:
    when = message.arrived_at or message.sent_at
    return datetime.fromisoformat(when).date() if when else date.max
