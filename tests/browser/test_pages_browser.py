"""The analyst pages in a real browser: Chromium drives a real ``risklens serve`` with the
shipped model. Token flow, upload → profile (实体清单 risk, its evidence page, peer flags), a paragraph's
probabilities, a label correction found in the label store, compare, an error page,
offline /docs, keyboard reach and the phone layout; and on a second server with ``--db``
the corpus search, a company's timeline, a stored filing, the trend chart, and a too-large
upload posted without JavaScript. Every request that leaves the
loopback is aborted and fails the test: the pages must work offline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from risklens.labels.store import LabelStore
from tests.browser.conftest import Server
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.shipped_model

EXAMPLE = REPO_ROOT / "risklens" / "examples" / "example_prospectus.md"
LEAF = "entity_list_sanctions"


def newer_version(tmp: Path) -> Path:
    """The example filing, revised: one sentence rewritten, one risk dropped, one added
    (sentences written for this test)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"此后，\n公司向境外供应商[\s\S]*?重大不利影响。",
                  "此后，公司通过第三方渠道采购的高端芯片也被暂停供货，约三成在执行订单的交付推迟了两个季度以上。"
                  "若美国进一步收紧出口管制，公司现有产品线可能被迫停产，并对经营业绩造成重大不利影响。", text)
    text = text.replace("四、发行失败风险", "四、客户集中度较高的风险")
    text = re.sub(r"本次发行的结果将受到[\s\S]*?发行失败的风险。",
                  "报告期内公司前五大客户的销售收入占营业收入的比例超过六成，若主要客户减少采购，公司业绩将明显下滑。", text)
    path = tmp / "example_prospectus_v2.md"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def offline(browser: Any, shipped_server: Server) -> Iterator[tuple[Any, list[str]]]:
    """A browser context whose requests off the loopback are aborted and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    outside: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    try:
        yield context, outside
    finally:
        context.close()
    assert not outside, f"the pages fetched from outside the server: {outside}"


def sign_in(page: Any, server: Server, shots: Path | None = None) -> None:
    answer = page.goto(server.base + "/")
    assert answer.status == 401 and page.locator("input[name=token]").is_visible()
    if shots:
        page.screenshot(path=str(shots / "01-token.png"))
    page.fill("input[name=token]", "wrong")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    page.fill("input[name=token]", server.token)
    page.click("button[type=submit]")
    page.wait_for_selector("#upload")


def upload_example(page: Any) -> None:
    page.set_input_files("input[name=file]", str(EXAMPLE))
    page.click("#upload button[type=submit]")
    page.wait_for_url(re.compile(r"/profile/[\w-]+"), timeout=60_000)


def test_token_upload_profile_and_label_correction(offline: tuple[Any, list[str]], shipped_server: Server,
                                                   screenshots: Path) -> None:
    context, _ = offline
    page = context.new_page()
    sign_in(page, shipped_server, screenshots)
    page.screenshot(path=str(screenshots / "02-home.png"))
    upload_example(page)
    evidence = page.locator(f"h3#{LEAF}")
    assert evidence.is_visible() and "实体清单" in evidence.inner_text()
    where = evidence.locator("xpath=following-sibling::div[@class='where'][1]").inner_text()
    assert re.match(r"p\.\d+ · ", where), where  # the evidence's page and heading path
    peers = page.locator("section.peers")
    assert "shipped peers" in peers.inner_text() and LEAF in peers.locator(".flag-unusual + ul").inner_text()
    assert page.locator(".flag-expected_absent").is_visible()  # the flags before the chart, as the CLI report
    page.screenshot(path=str(screenshots / "03-profile.png"))
    evidence.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "04-evidence.png"))

    item = page.locator("details.para-item").filter(has=page.locator("summary", has_text="实体清单")).first
    item.locator("summary").focus()
    page.keyboard.press("Enter")  # opened by keyboard; Tab then reaches its label checkboxes
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "labels":
            break
    assert page.evaluate("document.activeElement.type") == "checkbox"
    probabilities = item.locator("table.probs tbody tr")
    assert probabilities.count() == 30
    form = item.locator("form.labels")
    form.locator("input[value=customer_concentration]").check()
    form.locator("input[value=supply_chain]").uncheck()
    item.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "05-paragraph.png"))
    ticked = [box.get_attribute("value") for box in form.locator("input[name=labels]:checked").all()]
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".ok[role=status]")
    store = LabelStore(shipped_server.store)
    try:
        latest = store.latest()
    finally:
        store.close()
    assert [set(a.labels) for a in latest if a.annotator == "web"][-1] == set(ticked)
    assert "customer_concentration" in ticked

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.url.split("?")[0])
    assert page.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling on a phone
    page.screenshot(path=str(screenshots / "06-profile-phone.png"))


def test_compare_two_uploads(offline: tuple[Any, list[str]], shipped_server: Server, screenshots: Path,
                             tmp_path: Path) -> None:
    context, _ = offline
    page = context.new_page()
    sign_in(page, shipped_server)
    page.set_input_files("input[name=old]", str(EXAMPLE))
    page.set_input_files("input[name=new]", str(newer_version(tmp_path)))
    page.click("#compare button[type=submit]")
    page.wait_for_url(re.compile(r"/compare/[\w-]+"), timeout=60_000)
    for status in ("added", "removed", "changed"):
        assert page.locator(f"section#{status} h2").is_visible()
    assert page.locator(".diff ins").count() + page.locator(".diff del").count() > 0
    page.screenshot(path=str(screenshots / "07-compare.png"))
    page.locator(".diff ins").first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "08-compare-diff.png"))


def test_error_page_keyboard_and_docs(offline: tuple[Any, list[str]], shipped_server: Server, screenshots: Path,
                                      tmp_path: Path) -> None:
    context, _ = offline
    page = context.new_page()
    sign_in(page, shipped_server)
    reached = []
    for _ in range(20):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.name || document.activeElement.textContent.trim()"))
    assert {"file", "old", "new"} <= set(reached), reached

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    page.screenshot(path=str(screenshots / "02-home-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 800})

    plain = tmp_path / "notice.txt"
    plain.write_text("关于召开年度股东大会的通知\n\n本次会议审议利润分配方案。\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(plain))
    page.click("#upload button[type=submit]")
    page.wait_for_selector(".error h1")
    assert "没有找到风险披露章节" in page.inner_text(".error h1")
    page.screenshot(path=str(screenshots / "09-error.png"))

    page.goto(shipped_server.base + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    page.wait_for_selector(".swagger-ui .opblock-summary-path")
    assert "RiskLens" in page.inner_text(".swagger-ui .info .title")
    page.screenshot(path=str(screenshots / "10-docs.png"))
    page.goto(shipped_server.base + "/redoc")
    page.wait_for_selector("h1", timeout=20_000)

    anonymous = context.browser.new_context()
    try:
        assert anonymous.new_page().goto(shipped_server.base + "/compare/abcdefgh").status == 401
    finally:
        anonymous.close()


def test_corpus_search_timeline_and_trend(browser: Any, corpus_server: Server, screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    outside: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("http://127.0.0.1", "data:", "about:")) else (outside.append(route.request.url), route.abort()))
    try:
        page = context.new_page()
        page.goto(corpus_server.base + "/corpus")
        page.select_option("select[name=leaf]", "trial_goods")
        page.click("form.search button[type=submit] >> nth=0")
        page.wait_for_selector("text=结果")
        page.screenshot(path=str(screenshots / "11-corpus-search.png"), full_page=True)
        page.click("a[href^='/corpus/company/']")
        page.wait_for_selector("ol.timeline")
        assert page.locator("li.card.filing").count() == 2 and page.locator("li.card.step").count() == 1
        assert "trial_goods" in page.inner_text("li.card.step .step-added")
        page.screenshot(path=str(screenshots / "12-timeline.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        page.screenshot(path=str(screenshots / "13-timeline-phone.png"))
        page.set_viewport_size({"width": 1280, "height": 800})
        page.click("li.card.filing >> nth=1 >> a")
        page.wait_for_selector("text=已披露的风险")
        page.screenshot(path=str(screenshots / "14-stored-filing.png"))

        page.click("nav >> text=趋势")
        page.wait_for_selector(".trend-chart svg polyline", state="attached")
        assert page.locator(".trend-chart svg polyline").count() > 1
        page.check("input[name=leaf][value=trial_goods]")
        page.check("input[name=leaf][value=entity_list_sanctions]")
        page.click("form.leaf-picker button[type=submit]")
        page.wait_for_url(re.compile(r"leaf=trial_goods"))
        assert page.locator(".trend-chart svg polyline").count() == 2
        page.screenshot(path=str(screenshots / "15-trend.png"), full_page=True)
    finally:
        context.close()
    assert not outside, f"the pages fetched from outside the server: {outside}"


def test_a_too_large_upload_without_javascript_is_a_page(browser: Any, corpus_server: Server, tmp_path: Path,
                                                         screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(corpus_server.base + "/")
        big = tmp_path / "big.txt"
        big.write_bytes(("第一节 风险因素\n" + "公司面临市场竞争加剧的风险。" * 1_000_000).encode("utf-8"))  # > 25 MB
        page.set_input_files("input[name=file]", str(big))
        with page.expect_navigation():
            page.click("#upload button[type=submit]")
        assert "文件太大" in page.inner_text(".error h1")
        assert "body_too_large" in page.inner_text(".error")
        page.screenshot(path=str(screenshots / "16-too-large.png"))
    finally:
        context.close()
