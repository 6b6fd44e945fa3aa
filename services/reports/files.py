"""Where the report's files go, and writing them whole.

``settings.data_dir / "reports" / <month> /``: the workbook, the HTML page and one CSV per section,
each named after the month so a downloaded copy still says which month it is. A file is written
to a temporary name beside it and renamed into place, so Excel or a browser never opens half a
file; building the same month again replaces them (a complete month's figures never change).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from services.settings import get_settings


@dataclass(frozen=True)
class ReportFiles:
    directory: Path
    xlsx: Path
    html: Path
    csvs: dict[str, Path]  # section key -> file

    def all(self) -> list[Path]:
        return [self.xlsx, self.html, *self.csvs.values()]


def report_directory(month: str, data_dir: Path | None = None) -> Path:
    return (data_dir or get_settings().data_dir) / "reports" / month


def atomic_write_bytes(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
