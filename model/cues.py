"""Lexical boundary cues: evidence for the fusion head that the encoder and TF-IDF lack.

Issue #22's remaining errors sit on two boundaries a few words decide:

- **non-risk text inside a risk section** — "公司不存在政策性风险", "未发生重大不利变化",
  "预计营业收入同比增长150%" — where the point of the paragraph is that nothing is at risk
  (``nonrisk_cue``: a negation, result or forecast cue and no argued risk);
- **sanctions vs trade friction** — ``entity_list_sanctions`` needs a named regime (Entity
  List, NS-CMIC, 1260H, export controls, sanctions); tariffs or "贸易限制" alone are
  ``overseas_and_trade`` (``sanction_named``).

Each cue is a regular expression over the paragraph text (not the heading: a heading naming
a risk is the rule table's business). A fusion head that uses cues stores their patterns in
``fusion.json`` (``CueSnapshot``), so editing the patterns here never changes a saved model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from risklens.labels.taxonomy import LABEL_INDEX, LABELS

CUE_PATTERNS: dict[str, dict[str, str]] = {
    "nonrisk_cue": {
        # what the paragraph says: nothing adverse exists or happened, or results/forecasts
        "says": (
            r"不存在[^。；]{0,40}(风险|情形|重大不利|不利影响|障碍)"
            r"|(不会|未)[^。；]{0,30}(产生|造成|构成|带来|出现)[^。；]{0,10}(重大)?不利影响"
            r"|未(发生|出现)[^。；]{0,40}(重大)?(不利)?(变化|事项|影响|情形)"
            r"|预计[^。；]{0,40}(增长|增加|下降|减少)[^。；]{0,20}[%％]"
            r"|同比(增长|增加|上升)[0-9.]+[%％]|审计截止日|经审阅|业绩预计|具备持续盈利能力"
        ),
        # unless it also argues a risk: then it is that risk's paragraph
        "unless": (
            r"(可能|若|如果|一旦|倘若|不排除|无法保证|不能保证)[^。；]{0,80}(不利|风险|损失|下降|下滑|减少|困难|失败)"
            r"|存在[^。；不]{0,20}的?风险|面临[^。；]{0,20}风险"
        ),
    },
    "sanction_named": {
        "says": (
            r"实体清单|Entity\s*List|出口管制|管制清单|制裁|NS-CMIC|1260H|军工复合体|军事企业清单|涉军企业"
            r"|直接产品规则|出口许可|禁运"
        ),
        "unless": "",
    },
}
"""Cue name -> ``says`` (the cue fires when it matches) and ``unless`` (…and this does not)."""

CUE_LEAVES: dict[str, tuple[str, ...]] = {"nonrisk_cue": (), "sanction_named": ("entity_list_sanctions",)}
"""Which leaves' cells a cue feeds: ``()`` = every leaf (a paragraph-level signal)."""

CUES = tuple(CUE_PATTERNS)
CUES_FORMAT = "risklens-cues.v1"


@dataclass(frozen=True)
class CueSnapshot:
    """The patterns of the cues a fusion head uses, as they were when it was fitted."""

    patterns: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # (name, says, unless, leaves; () = all)

    @classmethod
    def current(cls, names: Sequence[str]) -> CueSnapshot:
        unknown = [n for n in names if n not in CUE_PATTERNS]
        if unknown:
            raise ValueError(f"unknown fusion cue(s) {unknown}; known: {list(CUES)}.")
        return cls(tuple((n, CUE_PATTERNS[n]["says"], CUE_PATTERNS[n]["unless"], CUE_LEAVES[n]) for n in names))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(row[0] for row in self.patterns)

    def to_dict(self) -> dict[str, object]:
        return {"format": CUES_FORMAT,
                "cues": [{"name": n, "says": s, "unless": u, "leaves": list(leaves)} for n, s, u, leaves in self.patterns]}

    @classmethod
    def from_dict(cls, doc: Mapping[str, object]) -> CueSnapshot:
        if doc.get("format") != CUES_FORMAT:
            raise ValueError(f"cue snapshot format {doc.get('format')!r} is not {CUES_FORMAT!r}; "
                             "this model needs a newer risklens.")
        rows = doc.get("cues")
        assert isinstance(rows, list)
        return cls(tuple((str(r["name"]), str(r["says"]), str(r["unless"]), tuple(r["leaves"])) for r in rows))

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """(n, L, len(cues)) 0/1: each cue on the cells of the leaves it feeds."""
        out = np.zeros((len(texts), len(LABELS), len(self.patterns)))
        for k, (_, says, unless, leaves) in enumerate(self.patterns):
            fires = np.array([fires_on(t, says, unless) for t in texts], dtype=np.float64)
            if leaves:
                for leaf in leaves:
                    out[:, LABEL_INDEX[leaf], k] = fires
            else:
                out[:, :, k] = fires[:, None]
        return out


def fires_on(text: str, says: str, unless: str = "") -> bool:
    """Whether a cue fires on ``text``: ``says`` matches and ``unless`` (if any) does not."""
    if not re.search(says, text):
        return False
    return not (unless and re.search(unless, text))
