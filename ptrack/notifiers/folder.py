"""The folder channel, the embedded default: one JSON and one readable .txt file per message.

File names come from the message key (safe characters plus a short hash, so two keys never share a file);
sending the same message again rewrites the same two files. Each file is written to a temporary name in the
folder and renamed into place, so a reader never sees half a message.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ptrack.notifiers.base import DeliveryError, Message
from ptrack.notifiers.render import days_phrase, due_phrase, plain_text, subject

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(key: str) -> str:
    """A file-system-safe, unique stem for a message key."""
    readable = _UNSAFE.sub("_", key).strip("._")[:80] or "message"
    return f"{readable}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


class FolderNotifier:
    kind = "folder"

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path

    def send(self, message: Message) -> str:
        stem = file_stem(message.key)
        try:
            if not self.path.is_dir():  # messages name children's cases: the folder is the service's alone
                self.path.mkdir(mode=0o700, parents=True)
                self.path.chmod(0o700)
            _write_atomic(self.path / f"{stem}.txt", _text(message))
            target = self.path / f"{stem}.json"
            _write_atomic(target, json.dumps(_record(message), indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            # A folder that is a file or not writable needs an admin; a full disk or a busy share may pass.
            permanent = isinstance(exc, PermissionError | NotADirectoryError | FileExistsError | IsADirectoryError)
            raise DeliveryError(f"folder {self.path}: cannot write: {exc.strerror or exc}",
                                retryable=not permanent) from None
        return str(target)


def _record(message: Message) -> dict[str, Any]:
    return {
        "key": message.key,
        "kind": message.kind,
        "recipient_email": message.recipient_email,
        "recipient_slack_id": message.recipient_slack_id,
        "team": message.team,
        "cover_for": message.cover_for,
        "council": message.council,
        "subject": subject(message),
        "text": plain_text(message),
        "items": [
            {"case_id": i.case_id, "initials": i.initials, "rule_id": i.rule_id, "rule_title": i.rule_title,
             "due": i.due.isoformat(), "due_phrase": due_phrase(i),
             "last_working_day": i.last_working_day.isoformat() if i.last_working_day else None,
             "days": i.days, "working_days": i.working_days, "days_phrase": days_phrase(i), "worker": i.worker,
             "link": i.link}
            for i in message.items
        ],
        "links": [{"label": label, "url": url} for label, url in message.links],
    }


def _text(message: Message) -> str:
    head = f"To: {message.recipient_email}\nSubject: {subject(message)}\nKind: {message.kind}\n\n"
    return head + plain_text(message)


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
