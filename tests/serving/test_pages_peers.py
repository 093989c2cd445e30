"""Peer flags on an upload's profile page: the shipped baseline, Chinese first, flags first.

A keyword classifier scores the bundled example; the peers come from the shipped model
directory's ``peer_baseline.json`` (75 prospectuses), as ``POST /v1/filings`` finds them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from risklens.model.registry import ResolvedModel
from risklens.scoring.peers import BASELINE_FILE
from risklens.serving.app import create_app
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import fake_settings
from tests.serving.test_pages import csrf_of

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "model" / "default"
EXAMPLE = ROOT / "risklens" / "examples" / "example_prospectus.md"


def served_with_model_dir(model_dir: Path) -> TestClient:
    settings = fake_settings(lambda path: KeywordClassifier(), model=model_dir,
                             resolver=lambda explicit: ResolvedModel(model_dir, "explicit"))
    return TestClient(create_app(settings))


def upload_example(client: TestClient) -> str:
    csrf = csrf_of(client.get("/").text)
    answer = client.post("/upload", data={"csrf": csrf}, files={"file": ("example_prospectus.md", EXAMPLE.read_bytes())})
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def test_the_profile_page_shows_the_peer_group_and_its_flags_first() -> None:
    if not (SHIPPED / BASELINE_FILE).is_file():
        pytest.fail(f"{SHIPPED / BASELINE_FILE} is missing: the shipped model must carry its peer baseline")
    with served_with_model_dir(SHIPPED) as client:
        html = upload_example(client)
        api = client.post("/v1/filings", files={"file": ("example_prospectus.md", EXAMPLE.read_bytes())}).json()
    flagged = {leaf["id"]: leaf["flags"] for leaf in api["leaves"] if leaf["flags"]}
    assert flagged.get("entity_list_sanctions") == ["unusual"]  # few prospectuses name the entity list
    assert "expected_absent" in {flag for flags in flagged.values() for flag in flags}
    peers = html.split('<section class="card peers"', 1)[1].split("</section>", 1)[0]
    assert "同行组" in peers and f"n = {api['peers']['n']}" in peers and "shipped peers" in peers
    assert "同行少见" in peers and "unusual for its peers" in peers
    assert "同行通常披露、此处缺失" in peers and "peers usually disclose, missing here" in peers
    unusual = peers.split("同行少见", 1)[1].split("</ul>", 1)[0]
    assert "entity_list_sanctions" in unusual and "实体清单" in unusual
    for leaf in flagged:
        assert f">{leaf}</span>" in peers
    assert "<h2>Against its peers</h2>" not in html  # the report's English section is replaced, not repeated
    assert html.index('class="card peers"') < html.index("Scores by group and leaf")  # the flags come first
    assert html.index('class="card peers"') < html.index("Disclosed risks")
    assert '<h2>证据 <span class="en">Evidence</span></h2>' in html and "<h2>已披露的风险" in html  # Chinese first


def test_without_a_baseline_the_page_says_how_to_get_one(tmp_path: Path) -> None:
    with served_with_model_dir(tmp_path / "model-without-baseline") as client:
        html = upload_example(client)
    peers = html.split('<section class="card peers"', 1)[1].split("</section>", 1)[0]
    assert "没有同行基线" in peers and "--db FILE" in peers and "同行少见" not in peers
