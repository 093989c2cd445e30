"""Property tests: random and truncated bytes into every reader give a Document or one
documented FilingError — never another exception, never a hang (hypothesis deadline)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risklens.filings import Document, FilingError, all_paragraphs, load_document
from risklens.filings.readers import read_raw
from tests.filings.conftest import FORMATS, sample_bytes

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
SAMPLES = {fmt: sample_bytes(fmt) for fmt in FORMATS}


def _load_or_documented_error(data: bytes) -> Document | None:
    try:
        doc = load_document(data, name="fuzz")
    except FilingError as exc:
        assert str(exc).startswith("fuzz: ") and "\n" not in str(exc)
        return None
    for p in all_paragraphs(doc):
        assert doc.text[p.start : p.end] == p.text
    return doc


@PROPERTY_SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    _load_or_documented_error(data)


@PROPERTY_SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes_behind_a_pdf_signature(data: bytes) -> None:
    _load_or_documented_error(b"%PDF-1.4\n" + data)


@PROPERTY_SETTINGS
@given(st.sampled_from(FORMATS), st.floats(min_value=0.0, max_value=1.0))
def test_truncated_files_of_every_format(fmt: str, share: float) -> None:
    data = SAMPLES[fmt]
    _load_or_documented_error(data[: int(len(data) * share)])


@PROPERTY_SETTINGS
@given(st.sampled_from(FORMATS), st.integers(min_value=0), st.binary(min_size=1, max_size=64))
def test_corrupted_files_of_every_format(fmt: str, position: int, junk: bytes) -> None:
    data = SAMPLES[fmt]
    at = position % len(data)
    _load_or_documented_error(data[:at] + junk + data[at + len(junk) :])


@PROPERTY_SETTINGS
@given(st.text(max_size=2000))
def test_any_text_is_readable(text: str) -> None:
    _load_or_documented_error(text.encode("utf-8"))


_RECORD = st.fixed_dictionaries(
    {
        "page": st.one_of(st.integers(-3, 10**9), st.text(max_size=3), st.none()),
        "type": st.one_of(st.sampled_from(["text", "excel", "页眉", "页脚", "other"]), st.lists(st.integers(), max_size=2)),
        "inside": st.one_of(st.text(max_size=80), st.integers()),
    }
)


@PROPERTY_SETTINGS
@given(st.lists(_RECORD, min_size=1, max_size=30))
def test_page_lines_with_odd_records(records: list[dict[str, object]]) -> None:
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    try:
        raw = read_raw(data, "fuzz")
    except FilingError:
        return
    assert all(line.page >= 0 for line in raw.lines)  # 0: unknown, never negative
    _load_or_documented_error(data)
