from __future__ import annotations

import pytest
from transformers import BertTokenizer

from risklens.model.inputs import Paragraph, as_paragraph, make_windows, shorten_heading
from risklens.model.testing import tiny_vocab


@pytest.fixture(scope="module")
def tokenizer() -> BertTokenizer:
    return BertTokenizer(vocab={token: i for i, token in enumerate(tiny_vocab())})


def test_as_paragraph_accepts_strings_mappings_and_heading_lists() -> None:
    assert as_paragraph("正文") == Paragraph(text="正文")
    para = as_paragraph({"text": "正文", "heading": ["第四节 风险因素", "（一）经营风险"], "id": 7})
    assert para.heading == "第四节 风险因素 / （一）经营风险"
    assert para.id == "7"


@pytest.mark.parametrize(
    ("item", "message"),
    [(3, "paragraph 0: expected a string or a mapping"), ({"text": None}, "expected a string 'text'"),
     ({"text": "x", "heading": 5}, "'heading' must be a string")],
)
def test_as_paragraph_rejects_malformed_items(item: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        as_paragraph(item)


def test_shorten_heading_keeps_the_innermost_part() -> None:
    assert shorten_heading("第四节 风险因素 / （五）应收账款风险", 8) == "（五）应收账款风险"[-8:]
    assert shorten_heading("短", 8) == "短"


def test_long_text_becomes_overlapping_windows_that_repeat_the_heading(tokenizer: BertTokenizer) -> None:
    text = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也能而子得" * 3
    windows = make_windows(tokenizer, [Paragraph(text=text, heading="风险")], max_length=32, stride=8, max_heading_chars=16)
    assert len(windows) > 3
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    heading_ids = tokenizer("风险", add_special_tokens=False)["input_ids"]
    body_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    covered: list[int] = []
    for window in windows:
        assert len(window.input_ids) <= 32
        assert window.input_ids[: 2 + len(heading_ids)] == [cls, *heading_ids, sep]
        chunk = window.input_ids[2 + len(heading_ids) : -1]
        if covered:
            assert covered[-8:] == chunk[:8]  # consecutive windows overlap by the stride
            covered.extend(chunk[8:])
        else:
            covered.extend(chunk)
    assert covered == body_ids  # every token of the text is seen, none is lost


def test_headings_can_be_dropped_and_paragraphs_keep_their_owner(tokenizer: BertTokenizer) -> None:
    paras = [Paragraph(text="风险", heading="（一）市场风险"), Paragraph(text="公司")]
    windows = make_windows(tokenizer, paras, max_length=32, stride=4, max_heading_chars=16, use_headings=False)
    assert sorted(w.paragraph for w in windows) == [0, 1]
    assert all(set(w.token_type_ids) == {0} for w in windows)


def test_bad_window_settings_are_refused(tokenizer: BertTokenizer) -> None:
    with pytest.raises(ValueError, match="stride"):
        make_windows(tokenizer, [Paragraph(text="风险")], max_length=32, stride=16, max_heading_chars=8)
