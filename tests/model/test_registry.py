from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pytest

from risklens.model import registry as registry_module
from risklens.model.registry import (
    ModelNotFoundError,
    PromotionRefused,
    Registry,
    RegistryError,
    ResolvedModel,
    default_registry_root,
    find_metric,
    format_table,
    resolve_model,
    resolve_model_path,
)


def saved_model(directory: Path, macro_f1: float | None = None) -> Path:
    """A directory with the two files that mark a saved classifier (weights are not needed here)."""
    directory.mkdir(parents=True)
    (directory / "config.json").write_text("{}", "utf-8")
    metrics = {} if macro_f1 is None else {"test": {"macro_f1": macro_f1, "micro_f1": macro_f1 + 0.1}}
    (directory / "risklens.json").write_text(json.dumps({"metrics": metrics, "created": "2025-01-01"}), "utf-8")
    (directory / "model.safetensors").write_bytes(b"weights")
    return directory


@pytest.fixture(autouse=True)
def no_shipped_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests independent of whether model/default/ exists in this checkout."""
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", tmp_path / "no-shipped-model")
    monkeypatch.delenv("RISKLENS_MODEL", raising=False)
    monkeypatch.delenv("RISKLENS_MODELS", raising=False)
    monkeypatch.setenv("RISKLENS_HOME", str(tmp_path / "home"))


def register(reg: Registry, tmp_path: Path, name: str, macro_f1: float | None) -> str:
    metrics = {} if macro_f1 is None else {"test": {"macro_f1": macro_f1, "micro_f1": macro_f1 + 0.1}}
    return reg.register(
        saved_model(tmp_path / name), metrics=metrics, config={"epochs": 1}, data_hash=f"hash-{name}"
    )


def test_register_copies_the_model_and_writes_registry_json(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    source = saved_model(tmp_path / "run")
    version = reg.register(source, metrics={"test": {"macro_f1": 0.61}}, config={"epochs": 2}, data_hash="abc", parent="v0")
    assert version == "v1"
    entry = json.loads((tmp_path / "models" / "v1" / "registry.json").read_text("utf-8"))
    assert entry["version"] == "v1" and entry["data_hash"] == "abc" and entry["parent"] == "v0"
    assert entry["config"] == {"epochs": 2} and entry["metrics"]["test"]["macro_f1"] == 0.61
    assert entry["created"]
    assert (tmp_path / "models" / "v1" / "model.safetensors").read_bytes() == b"weights"
    assert source.is_dir()  # copied, not moved
    assert [info.version for info in reg.list()] == ["v1"]
    assert reg.get("v1").test_macro_f1 == pytest.approx(0.61)


def test_register_with_move_and_numbering(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    assert register(reg, tmp_path, "a", 0.5) == "v1"
    moved = saved_model(tmp_path / "b")
    assert reg.register(moved, metrics={}, config={}, data_hash="h", move=True) == "v2"
    assert not moved.exists()
    assert [info.version for info in reg.list()] == ["v1", "v2"]
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]  # no staging left


def test_register_refuses_a_directory_that_is_not_a_saved_model(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    with pytest.raises(RegistryError, match="not a saved RiskLens classifier"):
        Registry(tmp_path / "models").register(tmp_path / "junk", metrics={}, config={}, data_hash="")


def test_concurrent_registrations_get_distinct_versions(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    sources = [saved_model(tmp_path / f"s{i}") for i in range(6)]
    versions: list[str] = []
    lock = threading.Lock()

    def work(source: Path) -> None:
        version = reg.register(source, metrics={}, config={}, data_hash=source.name)
        with lock:
            versions.append(version)

    threads = [threading.Thread(target=work, args=(s,)) for s in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == [f"v{i}" for i in range(1, 7)]
    assert sorted(reg.get(v).data_hash for v in versions) == sorted(s.name for s in sources)


def test_promote_refuses_a_worse_model_and_accepts_a_better_one(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    base = register(reg, tmp_path, "base", 0.600)
    assert reg.promote(base).changed
    assert reg.default_version() == base
    worse = register(reg, tmp_path, "worse", 0.594)  # 0.6 point below
    within = register(reg, tmp_path, "within", 0.596)  # 0.4 point below: tolerated
    with pytest.raises(PromotionRefused, match=r"v2 has test macro-F1 59.4, 0.6 points below the current default v1 \(60.0\).*--force"):
        reg.promote(worse)
    assert reg.default_version() == base
    promotion = reg.promote(within)
    assert (promotion.version, promotion.previous, promotion.forced) == (within, base, False)
    better = register(reg, tmp_path, "better", 0.65)
    assert reg.promote(better).changed
    assert reg.default_path() == tmp_path / "models" / better
    history = [json.loads(line) for line in (tmp_path / "models" / "promotions.jsonl").read_text().splitlines()]
    assert [h["version"] for h in history] == [base, within, better]


def test_force_promotes_a_worse_model_and_says_so(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    reg.promote(register(reg, tmp_path, "good", 0.7))
    worse = register(reg, tmp_path, "bad", 0.5)
    promotion = reg.promote(worse, force=True)
    assert promotion.forced and reg.default_version() == worse
    assert "(forced)" in promotion.summary()


def test_promote_compares_with_the_shipped_model_when_nothing_was_promoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = saved_model(tmp_path / "shipped", macro_f1=0.62)
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", shipped)
    reg = Registry(tmp_path / "models")
    worse = register(reg, tmp_path, "worse", 0.61)
    with pytest.raises(PromotionRefused, match="current default shipped"):
        reg.promote(worse)
    assert reg.promote(register(reg, tmp_path, "fine", 0.618)).previous == "shipped"


def test_a_model_without_test_scores_needs_force(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    reg.promote(register(reg, tmp_path, "scored", 0.6))
    unscored = register(reg, tmp_path, "unscored", None)
    with pytest.raises(PromotionRefused, match="no test macro-F1"):
        reg.promote(unscored)
    assert reg.promote(unscored, force=True).forced


def test_first_promotion_with_no_baseline_is_allowed(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    version = register(reg, tmp_path, "only", 0.3)
    assert reg.promote(version).baseline_macro_f1 is None
    assert not reg.promote(version).changed  # already the default


def test_scores_on_different_test_splits_are_not_compared(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    first = reg.register(saved_model(tmp_path / "a"), metrics={"test": {"macro_f1": 0.5}, "test_hash": "t1"},
                         config={}, data_hash="d1")
    reg.promote(first)
    other = reg.register(saved_model(tmp_path / "b"), metrics={"test": {"macro_f1": 0.9}, "test_hash": "t2"},
                         config={}, data_hash="d2")
    with pytest.raises(PromotionRefused, match="another test split"):
        reg.promote(other)


def test_unknown_version_lists_the_known_ones(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "models")
    register(reg, tmp_path, "a", 0.5)
    with pytest.raises(RegistryError, match=r"unknown model version 'v9'.*known: v1"):
        reg.promote("v9")


def test_find_metric_reads_the_shapes_we_write() -> None:
    assert find_metric({"test": {"macro_f1": 0.5}}, "macro_f1") == 0.5
    assert find_metric({"test_macro_f1": 61.5}, "macro_f1") == pytest.approx(0.615)
    assert find_metric({"test": {"full": {"macro_f1": 0.4}}}, "macro_f1") == 0.4
    trained = {"test": {"text": {"risklens": {"macro_f1": 0.3}}, "heading": {"risklens": {"macro_f1": 0.45}}}}
    assert find_metric(trained, "macro_f1") == 0.45
    assert find_metric({"dev": {"macro_f1": 0.4}}, "macro_f1") is None


def test_overview_and_table_mark_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", saved_model(tmp_path / "shipped", macro_f1=0.6))
    reg = Registry(tmp_path / "models")
    register(reg, tmp_path, "a", 0.55)
    rows = reg.overview()
    assert [(r["version"], r["default"]) for r in rows] == [("shipped", True), ("v1", False)]
    reg.promote("v1", force=True)
    table = format_table(reg)
    assert "* v1" in table and "  shipped" in table and "55.0" in table and "65.0" in table


def test_resolve_model_path_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = saved_model(tmp_path / "shipped")
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", shipped)
    root = tmp_path / "models"
    monkeypatch.setenv("RISKLENS_MODELS", str(root))
    assert resolve_model_path(None) == shipped
    reg = Registry(root)
    reg.promote(register(reg, tmp_path, "a", 0.5))
    assert resolve_model_path(None) == root / "v1"
    env_model = saved_model(tmp_path / "env")
    monkeypatch.setenv("RISKLENS_MODEL", str(env_model))
    assert resolve_model_path(None) == env_model
    explicit = saved_model(tmp_path / "explicit")
    assert resolve_model_path(explicit) == explicit


def test_resolve_model_path_errors_name_what_was_tried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelNotFoundError, match="not a model directory"):
        resolve_model_path(tmp_path / "missing")
    monkeypatch.setenv("RISKLENS_MODEL", str(tmp_path / "gone"))
    with pytest.raises(ModelNotFoundError, match=r"\$RISKLENS_MODEL="):
        resolve_model_path(None)
    monkeypatch.delenv("RISKLENS_MODEL")
    with pytest.raises(
        ModelNotFoundError, match=r"no --model given, \$RISKLENS_MODEL not set, nothing promoted.*no shipped model"
    ):
        resolve_model_path(None, registry_root=tmp_path / "models")


def test_resolve_model_says_which_rule_chose_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = saved_model(tmp_path / "shipped")
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", shipped)
    assert resolve_model() == ResolvedModel(shipped, "shipped")
    reg = Registry()  # the default registry: $RISKLENS_HOME/models
    register(reg, tmp_path, "a", 0.5)
    reg.promote(register(reg, tmp_path, "b", 0.6))
    chosen = resolve_model()
    assert chosen == ResolvedModel(tmp_path / "home" / "models" / "v2", "registry", "v2")
    assert chosen.describe() == f"model {tmp_path / 'home' / 'models' / 'v2'} (registry v2)"
    assert chosen.to_json() == {"source": "registry", "version": "v2", "origin": "registry v2"}
    env_model = saved_model(tmp_path / "env")
    monkeypatch.setenv("RISKLENS_MODEL", str(env_model))
    assert resolve_model().describe() == f"model {env_model} ($RISKLENS_MODEL)"
    monkeypatch.chdir(tmp_path)
    assert resolve_model(Path("shipped")).describe() == f"model {shipped} (explicit)"  # printed absolute


def test_the_registry_lives_in_the_home_not_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_registry_root() == tmp_path / "home" / "models"
    stray = Registry(tmp_path / "project" / "models")  # a ./models of the old rule
    stray.promote(register(stray, tmp_path, "stray", 0.9))
    monkeypatch.setattr(registry_module, "SHIPPED_MODEL", saved_model(tmp_path / "shipped"))
    monkeypatch.chdir(tmp_path / "project")
    assert resolve_model().source == "shipped"  # ./models is not looked at
    monkeypatch.setenv("RISKLENS_HOME", "~/rl-home")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_registry_root() == tmp_path / "rl-home" / "models"
    monkeypatch.setenv("RISKLENS_MODELS", str(tmp_path / "project" / "models"))  # the explicit override wins
    assert resolve_model() == ResolvedModel(tmp_path / "project" / "models" / "v1", "registry", "v1")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rule is the Linux one")
def test_without_risklens_home_the_registry_is_in_the_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RISKLENS_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_registry_root() == tmp_path / "xdg" / "risklens" / "models"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_registry_root() == tmp_path / ".local" / "share" / "risklens" / "models"
    assert not os.path.exists(tmp_path / ".local")  # resolving creates nothing
