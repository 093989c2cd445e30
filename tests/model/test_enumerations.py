"""Lists of named risks: found exactly, read item by item, and nothing else changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from transformers import BertTokenizer

from risklens.model.classifier import RiskClassifier
from risklens.model.enumerations import MAX_ITEM_CHARS, list_items
from risklens.model.inputs import Paragraph, make_windows
from risklens.model.meta import ModelMeta
from risklens.model.testing import make_tiny_classifier, tiny_vocab

# written for these tests, in the style of an annual report's 可能面对的风险
LIST = "一是汇率波动风险；二是原材料价格上涨风险；三是核心人员流失风险。"


def items(text: str) -> list[str]:
    return [text[start:end] for start, end in list_items(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LIST, ["一是汇率波动风险", "二是原材料价格上涨风险", "三是核心人员流失风险"]),
        ("公司面临的主要风险有：（1）行业政策变化风险；（2）订单下滑。", ["（1）行业政策变化风险", "（2）订单下滑"]),
        ("1、汇率风险；2、利率风险", ["1、汇率风险", "2、利率风险"]),
        ("一、市场风险；二、技术风险。", ["一、市场风险", "二、技术风险"]),
    ],
)
def test_lists_of_named_risks_are_cut_into_their_items(text: str, expected: list[str]) -> None:
    assert items(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "一是汇率波动风险。",  # one item is no list
        "一是汇率波动风险；三是利率风险。",  # ordinals out of sequence
        "一是汇率波动风险；（2）利率风险。",  # two kinds of ordinal
        "一是汇率风险。公司出口以美元结算；二是利率风险。",  # a sentence inside an item argues
        "一是汇率风险；二是" + "利" * (MAX_ITEM_CHARS + 1) + "风险。",  # an item too long to be a name
        "（1）弥补以前年度的亏损；（2）提取法定公积金；（3）支付股利。",  # steps, no risk named
        "一是汇率风险；二是利率风险；此外还有其他风险。",  # text after the last item
        "公司主要产品的销售收入占比较高，若市场需求下降，将对公司经营产生不利影响。",
    ],
)
def test_other_paragraphs_are_not_lists(text: str) -> None:
    assert list_items(text) == []


def test_item_windows_add_one_window_per_item_owned_by_the_paragraph() -> None:
    tokenizer = BertTokenizer(vocab={token: i for i, token in enumerate(tiny_vocab())})
    paragraphs = [Paragraph(text="公司存在风险。", heading="风险"), Paragraph(text=LIST, heading="可能面对的风险")]
    plain = make_windows(tokenizer, paragraphs, max_length=64, stride=8, max_heading_chars=16)
    extra = make_windows(tokenizer, paragraphs, max_length=64, stride=8, max_heading_chars=16, item_windows=True)
    assert [w.paragraph for w in plain] == [0, 1]
    assert sorted(w.paragraph for w in extra) == [0, 1, 1, 1, 1]
    assert plain[0] in extra and plain[1] in extra  # the paragraph's own windows stay as they were


def test_the_classifier_reads_items_only_when_its_meta_says_so(tmp_path: Path) -> None:
    classifier = RiskClassifier.from_pretrained(make_tiny_classifier(tmp_path / "tiny"))
    inputs = [Paragraph(text=LIST, heading="可能面对的风险"), Paragraph(text="公司存在汇率风险。", heading="风险")]
    classifier.meta = dataclasses.replace(classifier.meta, item_windows=False)
    off = classifier.encoder_logits(inputs)
    classifier.meta = dataclasses.replace(classifier.meta, item_windows=True)
    on = classifier.encoder_logits(inputs)
    items_alone = classifier.encoder_logits([Paragraph(text=t, heading="可能面对的风险") for t in items(LIST)])
    np.testing.assert_allclose(on[0], np.maximum(off[0], items_alone.max(0)), atol=1e-5)  # max over every window
    np.testing.assert_allclose(on[1], off[1], atol=1e-6)  # a paragraph that is no list is untouched


def test_item_windows_need_max_pooling() -> None:
    with pytest.raises(ValueError, match="item_windows needs window_pooling 'max'"):
        ModelMeta(item_windows=True, window_pooling="mean")
    assert ModelMeta.from_dict({"window_pooling": "mean"}).item_windows is False  # models saved before the option
