"""The corpus pages of ``risklens serve --db FILE``: search form, results, a stored profile, a
company's timeline (two versions of the bundled example, one with a risk added) and the trend chart."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from risklens.corpus.store import open_store
from risklens.corpus.trend_chart import HEIGHT, WIDTH
from risklens.serving.app import create_app
from risklens.serving.pages.history import LEGEND_ROOM
from tests.corpus.test_timeline import timeline_db
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import fake_settings
from tests.serving.test_corpus_routes import corpus_db

__all__ = ["corpus_db", "timeline_db"]


def test_search_form_results_and_a_stored_profile(corpus_db: Path) -> None:
    with open_store(corpus_db, read_only=True) as store:
        filing_id, name = store.connection.execute("SELECT id, name FROM filings ORDER BY id LIMIT 1").fetchone()
        disclosing = store.connection.execute(
            "SELECT count(*) FROM risks WHERE kind = 'leaf' AND risk = 'rd_failure' AND disclosed"
        ).fetchone()[0]
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier(), db=corpus_db))) as client:
        home = client.get("/")
        assert 'href="/corpus"' in home.text
        form = client.get("/corpus")
        assert form.status_code == 200 and '<select name="leaf"' in form.text and "结果" not in form.text
        found = client.get("/corpus", params={"leaf": "rd_failure", "kind": "", "since": "1990", "company": ""})
        assert found.status_code == 200 and "结果" in found.text
        assert found.text.count('href="/corpus/filings/') == min(disclosing, 50)
        stored = client.get(f"/corpus/filings/{filing_id}")
        assert stored.status_code == 200 and name in stored.text and "已披露的风险" in stored.text
        missing = client.get("/corpus/filings/no-such-filing")
        assert missing.status_code == 422 and "查询条件无效" in missing.text


def test_company_timeline_page_lists_filings_in_date_order_with_the_added_risk(timeline_db: Path) -> None:
    with open_store(timeline_db, read_only=True) as store:
        ids = dict(store.connection.execute("SELECT name, id FROM filings").fetchall())
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier(), db=timeline_db))) as client:
        home = client.get("/")
        assert 'href="/corpus/trend"' in home.text  # the nav shows the corpus pages
        answer = client.get("/corpus/company/星衡智能")
        assert answer.status_code == 200, answer.text[:300]
        html = answer.text
        assert html.index("b_older.md") < html.index("a_newer.md") and "2023-03-01" in html
        assert f'href="/corpus/filings/{ids["b_older.md"]}"' in html and f'href="/corpus/filings/{ids["a_newer.md"]}"' in html
        step = html.split('<li class="card step"', 1)[1].split("</li>\n", 1)[0]
        added = step.split("新增风险", 1)[1]
        assert ">trial_goods</span>" in added and "试用" in added and "删除风险" not in step
        assert html.count('<li class="card step"') == 1
        newer = client.get(f"/corpus/filings/{ids['a_newer.md']}").text
        assert "试用商品（借货、样机）管理" in newer and 'href="/corpus/company/' in newer  # zh names, back to the timeline
        via_form = client.get("/corpus/company", params={"key": " 星衡智能 "})
        assert via_form.status_code == 200 and str(via_form.url).endswith("/corpus/company/%E6%98%9F%E8%A1%A1%E6%99%BA%E8%83%BD")
        missing = client.get("/corpus/company/不存在的公司")
        assert missing.status_code == 422 and "不存在的公司" in missing.text and "<html" in missing.text
        search = client.get("/corpus", params={"leaf": "trial_goods"})
        assert 'href="/corpus/company/' in search.text


def test_trend_page_draws_the_chart_for_the_picked_leaves(timeline_db: Path) -> None:
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier(), db=timeline_db))) as client:
        everything = client.get("/corpus/trend")
        assert everything.status_code == 200
        html = everything.text
        assert "<svg" in html and "<polyline" in html and ">2023<" in html and ">2024<" in html
        assert f'viewBox="0 0 {WIDTH + LEGEND_ROOM} {HEIGHT}"' in html  # room for the legend's Chinese names
        assert html.count('type="checkbox" name="leaf"') == 30 and "试用" in html
        picked = client.get("/corpus/trend", params=[("leaf", "trial_goods"), ("leaf", "not_a_leaf")])
        chart = picked.text.split('<div class="trend-chart">', 1)[1].split("</svg>", 1)[0]
        assert chart.count("<polyline") == 1 and "trial_goods" in chart
        shares = picked.text.split("占比", 1)[1]
        assert "0%" in shares and "100%" in shares  # trial_goods: absent in 2023, disclosed in 2024
        assert 'value="trial_goods" checked' in picked.text


def test_timeline_and_trend_without_db_say_how_to_get_one() -> None:
    with TestClient(create_app(fake_settings(lambda path: KeywordClassifier()))) as client:
        assert 'href="/corpus/trend"' not in client.get("/").text
        for path in ("/corpus/trend", "/corpus/company/星衡智能"):
            answer = client.get(path)
            assert answer.status_code == 404 and "--db" in answer.text
