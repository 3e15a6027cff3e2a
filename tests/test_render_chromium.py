"""The HTML page in a real browser: headless Chromium parses it and paints it.

``--dump-dom`` gives the document as Chromium built it: the grids, every
cell with a mark and a link to an element that exists, and a failing cell's
details.  ``--screenshot`` gives what it painted, decoded here with the
standard library: not blank, and with the colours of a failing and a
passing cell among its pixels.  Skipped, with the reason, where Debian's
``chromium`` is not installed (``apt-get install -y chromium``).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from matrix.__main__ import main
from tests.test_render import write_samples

CHROMIUM = shutil.which("chromium")
WINDOW = (1400, 1000)
FAIL_RED = (0xEF, 0x53, 0x50)
PASS_GREEN = (0xA5, 0xD6, 0xA7)
FAILING_CELL = "drivers-example-driver-example-1-0-tcp-req-rep"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)


@pytest.fixture
def page(tmp_path) -> Path:
    write_samples(tmp_path / "results")
    out = tmp_path / "out"
    assert main(["render", str(tmp_path / "results"), "--out", str(out)]) == 0
    return out / "compatibility.html"


class Document(HTMLParser):
    """What the tests look for in the DOM: grids, their cells, ids and links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.grids = 0
        self.cells: list[dict] = []
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        classes = (attrs.get("class") or "").split()
        if tag == "table" and "grid" in classes:
            self.grids += 1
        if tag == "td" and "cell" in classes:
            self._cell = {"status": attrs.get("data-status"), "text": "", "href": None}
            self.cells.append(self._cell)
        if tag == "a" and self._cell is not None:
            self._cell["href"] = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data.strip()


def test_chromium_builds_every_grid_with_linked_cells_and_the_details(tmp_path, page):
    done = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Document()
    dom.feed(done.stdout)
    assert dom.grids == 2 * 3  # two implementations, three transports
    assert len(dom.cells) == 2 * 3 * 16
    for cell in dom.cells:
        assert cell["text"] and cell["status"], cell
        assert cell["href"].startswith("#") and cell["href"][1:] in dom.ids, cell
    assert {"FAIL", "PASS", "UNSUPPORTED", "NON-STRICT", "not run"} <= {
        c["status"] for c in dom.cells
    }
    failing = next(c for c in dom.cells if c["href"] == f"#{FAILING_CELL}")
    assert failing["status"] == "FAIL" and failing["text"] == "FAIL"
    detail = done.stdout.split(f'id="{FAILING_CELL}"')[1].split("</section>")[0]
    for expected in (
        "<dt>statement</dt>",
        "<dt>expected</dt>",
        "<dt>observed</dt>",
        "<dt>shrunk example</dt>",
        "<dt>reproduction</dt>",
        'class="failing"',
    ):
        assert expected in detail, expected


def test_chromium_paints_a_colour_coded_page(tmp_path, page):
    shot = tmp_path / "page.png"
    done = chromium(tmp_path, f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == WINDOW
    colours = set(pixels)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    assert FAIL_RED in colours and PASS_GREEN in colours


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """The pixels of an 8-bit RGB or RGBA PNG (what Chromium writes), as RGB tuples."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, chunks = 8, {}
    idat = b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        chunks.setdefault(kind, body)
        if kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                nearest = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + nearest) & 0xFF
        pixels.extend(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return width, height, pixels
