"""The headless Chromium the HTML timeline tests render their pages in (skipped where it is
not installed), and what they check of a screenshot."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

DOCS_IMG = Path(__file__).parents[2] / "docs" / "img"


def chromium() -> str | None:
    for exe in ("chromium", "chromium-browser"):
        path = shutil.which(exe)
        if path:
            return path
    return None


def headless(exe: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def png_pixels(data: bytes) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct colours of an 8-bit RGB or RGBA PNG (what Chromium
    writes), decoded with zlib alone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
            channels = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        f, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b, c = prev[x], prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 0xFF
        if y % 7 == 0:
            colours.update(bytes(line[x : x + 3]) for x in range(0, stride, channels * 5))
        prev = line
    return width, height, colours


def screenshot(exe: str, tmp_path: Path, page: Path, keep_as: str) -> None:
    """A screenshot of ``page``: its pixel size is the window's, and it is not blank (many
    colours: text, boxes, bars). Compared by these properties, not byte for byte: fonts,
    anti-aliasing and the PNG encoder differ between machines and Chromium versions. With
    PCEMU_UPDATE_SCREENSHOTS set it is kept in the docs as ``keep_as``."""
    shot = tmp_path / "shot.png"
    done = headless(
        exe,
        tmp_path,
        f"--screenshot={shot}",
        "--hide-scrollbars",
        "--window-size=1280,900",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    width, height, colours = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 900)
    assert len(colours) > 20, "the screenshot is (nearly) blank"
    if os.environ.get("PCEMU_UPDATE_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, DOCS_IMG / keep_as)
