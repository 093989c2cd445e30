"""Tiny random-weight classifiers for offline unit tests (ours and other packages').

``make_tiny_classifier(dir)`` writes a complete saved-model directory in well under two
seconds: a 2-layer, 32-wide BERT, a character-level WordPiece vocabulary built here over a
few hundred common CJK characters, and ``risklens.json``. Scores are random but
deterministic (seeded), so tests can check shapes, formats and round trips, never accuracy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from risklens.labels.taxonomy import LABELS
from risklens.model.classifier import RiskClassifier
from risklens.model.meta import ModelMeta

# Characters that risk paragraphs use a lot; the tiny vocabulary is these plus ASCII.
_CJK = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也能而子得"
    "下自之年过发后里道行所然家种事方多经么去法学如都同现当没动面起看定天还进好小部其些"
    "主样理心本前开但因只从想实日者意无力它与长把机十民第公此已工使情明性知全三又关点正"
    "业外将两高间由问很最重并物手应向头文体政相见被利什二等产或新己制身果加西月话合回特"
    "代内信表化老给世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条"
    "平系气题活更别打变四总何电数安少报才结反受目太量再感建务做接必场件计管期市直资命金"
    "指许统区保至形社便空决治展科司五基书非则白却界达光放强即像难且权思王象完设式色路记"
    "南品住告类求据程北边该交规万取格望术领共确传观清今切让识带导争运改收根干造言联持组"
    "每济车极服快办议往元证近失转令准布始存未远台单具字流备调深商算质团集百需价花华城级"
    "整府况请技际约示复息究线似火断精满支视消越器容照须增研写称企功包片史委查易早曾除农"
    "找装广显标谈图念六引历首医局专费号另周较注语仅考落青随选列响虽推势参希古众构房半节"
    "土投某案维划致律足态护兴派验责营星够章音跟志底站严例防族供效续施留讲型料终答紧黄绝"
    "察京段依批群项故按河米围江织害双境客纪采举攻低朝友诉止细愿千值仍网助倒育属坐限职速"
    "刻否刚状率甚独般普弹校创假久错承印试股拿预益若微继送急伤素药适波夜省初喜卫源食险待"
    "述陆置居劳财环排福纳获模充负停层略范退既积余差富检协角占配征修降阶审坚善买养执副乱"
    "抗犯追帮宣岁航优著田控税款靠评版宝座释景互付换闻危核暗介坏讨良序升监临露永味架域减"
    "编测败困封救贵缺楼县尚移短智恐固席秘遇康虑均销损额含顺输招脱补督泽材厂博授诺载借禁"
    "阴园谋避荣束顶午练迫肉础库促延伟申缓潜售延套贸扩盖稳亿刺拥替赛努"
)


def tiny_vocab() -> list[str]:
    """Special tokens, digits, ASCII letters and the CJK characters above, deduplicated."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ascii_chars = list("0123456789abcdefghijklmnopqrstuvwxyz%.,;:()/-")
    cjk = list(dict.fromkeys(_CJK))
    punct = list("，。；：、（）《》“”？！")
    return list(dict.fromkeys(specials + ascii_chars + punct + cjk))


def make_tiny_classifier(
    out_dir: Path, *, seed: int = 0, max_length: int = 64, stride: int = 8, fusion: bool = False
) -> Path:
    """Build and save a tiny random-weight classifier; returns ``out_dir``.

    ``fusion=True`` also fits and saves a small fusion head (TF-IDF + stacking) on one
    made-up paragraph per leaf (its Chinese name), to exercise that code path.
    """
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    vocab = tiny_vocab()
    tokenizer = BertTokenizer(vocab={token: i for i, token in enumerate(vocab)})
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max(128, max_length),
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
        problem_type="multi_label_classification",
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config).eval()
    meta = ModelMeta(
        name="tiny-random",
        version="0",
        base_model="tiny-random-bert",
        max_length=max_length,
        stride=stride,
        max_heading_chars=16,
        precision="fp32",  # exact and identical on every CPU; tests of bf16 ask for it
        metrics={"note": "random weights, for tests only"},
    )
    classifier = RiskClassifier(model, tokenizer, meta)
    if fusion:
        from risklens.labels.taxonomy import LEAVES
        from risklens.model.fusion import FusionHead, fit_lexical
        from risklens.model.inputs import Paragraph

        # one paragraph per leaf made of its Chinese name (every other one with a heading):
        # enough to exercise the fused path, and no test data in the product
        paragraphs = [Paragraph(text=leaf.zh, heading=f"{leaf.zh}风险" if i % 2 else "") for i, leaf in enumerate(LEAVES)]
        targets = np.eye(len(LABELS))
        logits = classifier.encoder_logits(paragraphs)
        head = FusionHead(fit_lexical(paragraphs, targets, max_features=500, min_df=1))
        classifier.fusion = head.fit(logits, paragraphs, targets)
    classifier.save_pretrained(Path(out_dir), dtype="float32")
    return Path(out_dir)
