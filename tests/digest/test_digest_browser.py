"""The digest's HTML email body rendered by a real browser: headless Chromium takes a screenshot, which must
exist, be a PNG of the window's size and show the content (text and the red bars of the overdue chart), not a
blank page. Skipped, with the reason, only when no Chromium is installed and CI is not set."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from ptrack.tracker.digest.build import DigestDeadline, build_digest
from ptrack.tracker.digest.render import as_html
from ptrack.tracker.model import Case

WIDTH, HEIGHT = 1200, 1600
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str:
    for name in ("/usr/bin/chromium", *CANDIDATES):
        found = shutil.which(name)
        if found:
            return found
    reason = "no Chromium binary (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def decode_png(data: bytes) -> np.ndarray:
    """RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium writes), undoing each row's filter."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, row = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        if kind in (0, 2):
            cur = (row + (prev if kind == 2 else 0)) & 255
        else:
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b, c = prev[x], prev[x - bpp] if x >= bpp else 0
                if kind == 1:
                    pred = a
                elif kind == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (row[x] + pred) & 255
        out[y], prev = cur, cur
    return out.reshape(height, width, bpp)[:, :, :3]


def sample_html() -> str:
    as_of = date(2026, 11, 25)
    cases = {f"C{i:03d}": Case(f"C{i:03d}", "AB", None, f"Team {'AB'[i % 2]}", f"worker{i % 3}@example.org",
                               "manager@example.org") for i in range(30)}
    rules = ("cla_review_subsequent", "visit_year1", "permanence_plan_by_second_review")
    rows = [DigestDeadline(case_id, rules[i % 3], date(2026, 11, 1 + i % 28), date(2026, 1, 5))
            for i, case_id in enumerate(cases)]
    titles = {"cla_review_subsequent": "Subsequent looked-after review", "visit_year1": "Visit (first year)"}
    return as_html(build_digest(rows, cases, [], as_of), titles, "Example Council")


def test_the_html_digest_renders_in_headless_chromium(tmp_path: Path) -> None:
    binary = chromium()
    page = tmp_path / "digest.html"
    page.write_text(sample_html(), encoding="utf-8")
    shot = tmp_path / "digest.png"
    done = subprocess.run([
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri(),
    ], capture_output=True, text=True, timeout=120, check=False)
    assert shot.exists(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    pixels = decode_png(shot.read_bytes())
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    not_white = (pixels < 240).any(axis=2)
    assert not_white.mean() > 0.01, "the screenshot is blank"
    red = (pixels[:, :, 0] > 170) & (pixels[:, :, 1] < 70) & (pixels[:, :, 2] < 70)
    assert red.sum() > 500, "the overdue bar chart (red bars) is not visible"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20  # text and colours, not a flat fill


def test_the_html_is_self_contained() -> None:
    html = sample_html()
    assert "<script" not in html and "<link" not in html and "<img" not in html and "<style" not in html
    assert "src=" not in html and "url(" not in html
    assert html.count("<svg") == 2  # overdue by rule, overdue by worker
