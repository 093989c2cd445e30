"""The public API: ``from risklens import load_model, score_filing, compare_filings``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import risklens
from risklens.scoring.compare import Comparison
from risklens.scoring.profile import FilingProfile
from risklens.scoring.score import score_source

FILING = """示例科技股份有限公司 招股说明书

第四节 风险因素

一、技术风险

（一）研发失败的风险

公司每年投入大量资金开发新一代芯片，若关键技术攻关不及预期，研发投入可能无法形成产品。

二、财务风险

（一）应收账款回收的风险

报告期各期末公司应收账款余额较大，若主要客户经营恶化，可能产生坏账损失。
"""

LATER = FILING.replace("二、财务风险", "二、经营风险\n\n（一）客户集中的风险\n\n公司前五名客户收入占比超过八成，若主要客户减少采购，公司业绩将下滑。\n\n三、财务风险")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from risklens.model.testing import make_tiny_classifier

    return make_tiny_classifier(tmp_path_factory.mktemp("api") / "model")


def test_score_filing_is_the_cli_profile(tiny: Path, tmp_path: Path) -> None:
    path = tmp_path / "filing.md"
    path.write_text(FILING, encoding="utf-8")
    model = risklens.load_model(tiny)
    profile = risklens.score_filing(path, model)
    assert isinstance(profile, FilingProfile)
    expected = score_source(path, model, name=str(path)).profile.to_dict()
    assert profile.to_dict() == expected
    from_bytes = risklens.score_filing(FILING.encode(), model, name=str(path))
    assert from_bytes.to_dict()["leaves"] == expected["leaves"]


def test_bytes_without_a_name_are_refused_with_advice(tiny: Path) -> None:
    with pytest.raises(ValueError, match="needs name="):
        risklens.score_filing(FILING.encode(), risklens.load_model(tiny))


def test_load_model_follows_the_command_rule(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKLENS_MODEL", str(tiny))
    assert risklens.load_model().info() == risklens.load_model(tiny).info()


def test_compare_filings_sees_the_added_risk(tiny: Path, tmp_path: Path) -> None:
    old, new = tmp_path / "old.md", tmp_path / "new.md"
    old.write_text(FILING, encoding="utf-8")
    new.write_text(LATER, encoding="utf-8")
    comparison = risklens.compare_filings(old, new, risklens.load_model(tiny))
    assert isinstance(comparison, Comparison)
    assert comparison.alignment.only_new >= 1
    assert comparison.alignment.new_paragraphs == comparison.alignment.old_paragraphs + 1


def test_importing_a_package_stays_light() -> None:
    """``import risklens.filings`` runs risklens/__init__.py but must not pull in torch."""
    code = "import sys, risklens, risklens.filings; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = risklens.nope  # type: ignore[attr-defined]
