"""CSV downloads that stream, and that a spreadsheet shows without evaluating anything."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP: CSV injection). Display names come from Graph, chosen by whoever owns the account.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Lines per chunk sent: small in memory, yet not one write (or thread hop) per line.
_LINES_PER_CHUNK = 500
# Without a byte-order mark Excel reads CSV in the machine's legacy code page, which garbles
# Japanese names.
_BOM = "\ufeff"


def neutralise(cell: Any) -> Any:
    """The cell, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return "'" + cell
    return cell


class _Echo:
    """csv.writer writes to a file; this one hands each formatted line back instead."""

    def write(self, line: str) -> str:
        return line


def _lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Generator[str]:
    writer = csv.writer(_Echo())
    yield _BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def _chunks(lines: Iterator[str]) -> Iterator[str]:
    while chunk := "".join(islice(lines, _LINES_PER_CHUNK)):
        yield chunk


async def _chunks_async(lines: Generator[str]) -> AsyncIterator[str]:
    # Under ASGI, Django reads a sync iterator to its end, in memory, before sending a byte.
    # Pulling each chunk through sync_to_async runs it in the thread the view ran in, so the
    # database cursor stays on the connection that opened it.
    next_chunk = sync_to_async(lambda: "".join(islice(lines, _LINES_PER_CHUNK)))
    try:
        while chunk := await next_chunk():
            yield chunk
    finally:
        await sync_to_async(lines.close)()


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, filename: str, asynchronous: bool
) -> StreamingHttpResponse:
    """A streamed CSV attachment; `asynchronous` when the request came through ASGI."""
    lines = _lines(header, rows)
    content = _chunks_async(lines) if asynchronous else _chunks(lines)
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
