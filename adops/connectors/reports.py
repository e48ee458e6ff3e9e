"""What the clients' report code shares: date windows, and reading a downloaded report file.

Platforms cap the days one report or query may cover (TikTok 30, Pinterest 186...), so reads are cut
into consecutive windows (`date_chunks`). A finished async report is downloaded once through
`ApiClient.download` and read here: a JSON document (Pinterest) or the CSV inside a ZIP (Microsoft),
with a malformed or oversized file a typed error rather than a crash or a memory blow-up.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from adops.connectors.errors import BadRequest, TransientError

#: the largest file a report ZIP may unpack to
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024


def date_chunks(since: date, until: date, days: int) -> Iterator[tuple[date, date]]:
    """Consecutive [start, end] windows of at most `days` days covering since..until."""
    assert days >= 1, "a chunk holds at least one day"
    start = since
    while start <= until:
        end = min(start + timedelta(days=days - 1), until)
        yield start, end
        start = end + timedelta(days=1)


def json_document(content: bytes, who: str) -> Any:
    """A downloaded JSON report; a file that is not JSON is a TransientError (a cut-off download)."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise TransientError(f"{who}: the report file is not valid JSON") from None


def unzip_text(content: bytes, who: str, suffix: str = ".csv", limit: int = MAX_UNPACKED_BYTES) -> str:
    """The text of the first `suffix` file inside a report ZIP (UTF-8, a byte-order mark dropped)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(suffix)]
            if not members:
                raise TransientError(f"{who}: the report ZIP holds no {suffix} file")
            if members[0].file_size > limit:
                raise BadRequest(f"{who}: the report unpacks to more than {limit // 2**20} MiB; refused")
            with archive.open(members[0]) as member:
                data = member.read(limit + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError):
        raise TransientError(f"{who}: the report download is not a readable ZIP file") from None
    if len(data) > limit:  # the header understated the size
        raise BadRequest(f"{who}: the report unpacks to more than {limit // 2**20} MiB; refused")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TransientError(f"{who}: the report file is not UTF-8 text") from None
