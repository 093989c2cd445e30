"""How the scoring results describe themselves in the HTTP API's OpenAPI schema.

``serving`` uses ``FilingProfile`` and ``Comparison`` themselves as its response models:
pydantic builds a JSON schema from a standard-library dataclass, reading the
``description`` in each ``dataclasses.field(metadata=...)`` and the class attribute
``__pydantic_config__``. This module holds what goes into that attribute
(:func:`openapi_config`): the made-up examples, the keys that ``to_dict`` derives and that
are no dataclass fields (``disclosed``, ``summary``), and the key order of ``to_dict``.
It imports neither pydantic nor FastAPI, so scoring stays importable without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EXAMPLE_TEXT = (
    "报告期内，公司前五名客户的销售收入占营业收入的比例超过七成，若主要客户削减采购或转向其他供应商，"
    "公司的经营业绩将受到不利影响。"
)
EXAMPLE_HEADING = "第三节 风险因素 / 一、经营风险 / （二）客户集中度较高的风险"
EXAMPLE_FILING = "第三节 风险因素\n\n一、经营风险\n\n（二）客户集中度较高的风险\n\n" + EXAMPLE_TEXT + "\n"
EXAMPLE_MODEL: dict[str, Any] = {"name": "risklens-classifier", "version": "v3", "taxonomy_version": "risk-taxonomy.v1"}
EXAMPLE_DOCUMENT: dict[str, Any] = {
    "name": "example-prospectus.txt", "doc_id": "3f2a9c0d1b7e5a44", "reader": "text", "pages": 1,
    "recovered": False, "pages_read": None, "kind": "prospectus", "company": "示例科技股份有限公司",
    "stock_code": None, "year": 2024, "report_date": "2024-06-30", "industry": "C39",
}
EXAMPLE_EVIDENCE: dict[str, Any] = {
    "paragraph_id": "3f2a9c0d1b7e5a44-0004",
    "section": "risk_factors",
    "heading": EXAMPLE_HEADING,
    "page": 12,
    "start": 1830,
    "end": 1893,
    "probability": 0.93,
    "labels": ["customer_concentration"],
    "text": EXAMPLE_TEXT,
}
EXAMPLE_SCORE: dict[str, Any] = {
    "id": "customer_concentration",
    "kind": "leaf",
    "group": "operations",
    "zh": "客户集中与大客户依赖",
    "en": "customer concentration",
    "score": 74.4,
    "disclosure": 0.93,
    "highlight": 0.0,
    "rank_factor": 1.0,
    "prominence": 0.5,
    "paragraphs": 1,
    "first_position": 1,
    "evidence": [EXAMPLE_EVIDENCE],
    "rank": 1,
    "peer_prevalence": 0.72,
    "peer_median": 81.5,
    "relative": 41.3,
    "flags": [],
    "disclosed": True,
}
PROFILE_EXAMPLE: dict[str, Any] = {
    "document": EXAMPLE_DOCUMENT,
    "model": EXAMPLE_MODEL,
    "taxonomy_version": "risk-taxonomy.v1",
    "profile_version": "risk-profile.v1",
    "formula": "risk-profile.v1: D = noisy-OR of the top 3 paragraph probabilities; ...",
    "sections": {"risk_factors": 1},
    "peers": {"kinds": ["prospectus"], "industry": "C39", "since": 2020, "until": 2024, "n": 34, "too_small": False,
              "source": "shipped", "options": {"years": 5.0, "min_peers": 20.0, "unusual_below": 0.15,
                                               "expected_from": 0.6, "emphasised_top": 0.1}},
    "leaves": [EXAMPLE_SCORE],
    "groups": [{**EXAMPLE_SCORE, "id": "operations", "kind": "group", "zh": "经营风险", "en": "operations",
                "peer_prevalence": None, "peer_median": None, "relative": None}],
    "paragraphs": [
        {"id": "3f2a9c0d1b7e5a44-0004", "section": "risk_factors", "heading": EXAMPLE_HEADING, "page": 12,
         "start": 1830, "end": 1893, "labels": ["customer_concentration"], "top_score": 0.93, "text": EXAMPLE_TEXT}
    ],
}
COMPARISON_EXAMPLE: dict[str, Any] = {
    "old": {**EXAMPLE_DOCUMENT, "name": "ipo-prospectus.txt"},
    "new": {**EXAMPLE_DOCUMENT, "name": "offering.txt", "doc_id": "77d0e1c2b3a49586"},
    "model": EXAMPLE_MODEL,
    "taxonomy_version": "risk-taxonomy.v1",
    "settings": {"change_delta": 15.0, "rewrite_similarity": 0.85, "min_match_similarity": 0.3,
                 "same_text_similarity": 0.9},
    "alignment": {"old_paragraphs": 1, "new_paragraphs": 1, "matched": 0, "rewritten": 0,
                  "only_old": 1, "only_new": 1},
    "summary": {"added": 1, "removed": 1, "changed": 0, "unchanged": 0},
    "risks": [
        {
            "id": "receivables_credit", "group": "financial", "zh": "应收款项回收与信用风险",
            "en": "receivables & credit", "status": "added", "old_score": 1.2, "new_score": 94.0,
            "delta": 92.8, "old_paragraphs": 0, "new_paragraphs": 1,
            "reasons": ["no paragraph of the old filing reaches the threshold; 1 in the new one"],
            "old_evidence": [],
            "new_evidence": [{"side": "new", "evidence": EXAMPLE_EVIDENCE, "counterpart": None, "similarity": None}],
        },
    ],
}

MODEL_SCHEMA: dict[str, Any] = {
    "properties": {
        key: {"anyOf": [{"type": "string"}, {"type": "null"}], "title": key.replace("_", " ").capitalize()}
        for key in ("name", "version", "taxonomy_version", "base_model", "created")
    },
}
"""The keys of a profile's ``model`` (``scoring.score.model_summary``); the API sends all five."""


def openapi_config(
    *,
    order: Sequence[str] = (),
    derived: dict[str, dict[str, Any]] | None = None,
    examples: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A dataclass's ``__pydantic_config__``: its JSON schema with ``to_dict``'s extras.

    ``derived`` adds the schemas of keys that ``to_dict`` computes (required, like every
    key it writes); ``order`` lists the keys in the order ``to_dict`` writes them, so the
    documentation reads like the answer; ``examples`` are whole answers.
    """
    extra_keys = dict(derived or {})

    def extend(schema: dict[str, Any]) -> None:
        properties: dict[str, Any] = {**schema.get("properties", {}), **extra_keys}
        rank = {key: i for i, key in enumerate(order)}
        schema["properties"] = dict(sorted(properties.items(), key=lambda item: rank.get(item[0], len(rank))))
        required = list(schema.get("required", [])) + [key for key in extra_keys if key not in schema.get("required", [])]
        schema["required"] = sorted(required, key=lambda key: rank.get(key, len(rank)))
        if examples:
            schema["examples"] = list(examples)

    # asdict writes every field, defaults included: every key is in every answer
    return {"json_schema_extra": extend, "json_schema_serialization_defaults_required": True}
