"""What the pages tell a person when something fails: a title and a next step, per error code.

The JSON API keeps its envelope (``serving.errors``); a page turns the same stable codes
into a sentence in Chinese with the English beside it, and never shows a trace. An
unknown code falls back to the API's own one-line message, which never names the
server's folders.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageMessage:
    """A failure as a person reads it: what happened and what to do (zh, then en)."""

    title: str
    advice: str
    english: str


MESSAGES: dict[str, PageMessage] = {
    "needs_ocr": PageMessage(
        "这份 PDF 没有文字层（可能是扫描件）",
        "请上传带文字层的 PDF，或先用 OCR 软件识别文字后再上传 TXT / Markdown。",
        "The PDF has no text layer (a scan?). Upload a PDF with text, or OCR it first.",
    ),
    "no_risk_section": PageMessage(
        "没有找到风险披露章节",
        "文件中没有“风险因素”“重大事项提示”“特别风险提示”“可能面对的风险”或“风险提示”等章节。请确认上传的是招股说明书、募集说明书或年报。",
        "No risk-disclosure section was found. Upload a prospectus, offering document or annual report.",
    ),
    "body_too_large": PageMessage(
        "文件太大",
        "单个请求最多 25 MB。请上传较小的文件，或只上传包含风险章节的部分。",
        "The file is too large (25 MB at most). Upload a smaller file or only its risk section.",
    ),
    "too_many_pages": PageMessage(
        "页数太多", "PDF 最多 1,000 页。请只上传包含风险章节的部分。",
        "The PDF has too many pages (1,000 at most).",
    ),
    "too_costly": PageMessage(
        "文件太长，无法在时限内完成",
        "按本服务器当前的速度，这份文件的风险章节无法在超时时间内评分完毕。请只上传风险章节，或请管理员调大 --timeout。",
        "The filing is too long to score within the server's timeout.",
    ),
    "timeout": PageMessage(
        "处理超时", "服务器在时限内没有完成评分。请稍后再试，或只上传风险章节。",
        "Scoring took longer than the server's timeout. Retry later or upload less text.",
    ),
    "body_timeout": PageMessage(
        "上传中断（超时）",
        "文件的内容在传输途中停顿太久，服务器已停止等待。请检查网络后重新上传。",
        "The upload stalled for too long and the server stopped waiting; check the connection and upload again.",
    ),
    "empty_file": PageMessage("文件是空的", "请选择有内容的文件。", "The file is empty."),
    "corrupt_pdf": PageMessage(
        "PDF 已损坏，无法读取", "请重新下载原文件后再上传。", "The PDF is damaged and cannot be read."
    ),
    "encrypted_pdf": PageMessage(
        "PDF 已加密", "请上传未加密的版本。", "The PDF is encrypted; upload an unencrypted copy."
    ),
    "unsupported_format": PageMessage(
        "不支持的文件类型", "请上传 PDF、TXT 或 Markdown 文件（不支持图片、Word 或压缩包）。",
        "Unsupported file type: upload a PDF, TXT or Markdown file.",
    ),
    "unsupported_media_type": PageMessage(
        "不支持的文件类型", "请上传 PDF、TXT 或 Markdown 文件。", "Unsupported file type."
    ),
    "document_too_complex": PageMessage(
        "文件过于复杂，无法安全读取", "请上传文字版或较小的 PDF。", "The file is too complex to read safely."
    ),
    "decompression_limit": PageMessage(
        "文件解压后过大", "请上传较小的 PDF。", "The PDF inflates to more than the server allows."
    ),
    "not_ready": PageMessage(
        "模型仍在加载", "请稍等几秒后刷新页面。", "The model is still loading; retry in a few seconds."
    ),
    "overloaded": PageMessage(
        "服务器繁忙", "当前排队的请求已满，请稍后再试。", "The server is busy; retry shortly."
    ),
    "feedback_disabled": PageMessage(
        "此服务器未开启标注反馈",
        "服务器没有设置 RISKLENS_API_TOKEN，也没有以 --allow-feedback 启动，因此不接收标注更正。请联系管理员。",
        "Feedback is disabled: the server has no token and was not started with --allow-feedback.",
    ),
    "store_unavailable": PageMessage(
        "标注库暂时不可用", "请稍后再试；服务器日志有详细信息。", "The label store is unavailable now."
    ),
    "invalid_feedback": PageMessage("标注无法保存", "请检查勾选的标签。", "The labels could not be stored."),
    "csrf": PageMessage(
        "表单已过期", "请回到上一页，刷新后再提交。", "The form expired (or came from another site); reload and retry."
    ),
    "not_found": PageMessage(
        "找不到这个结果",
        "上传结果只对上传它的浏览器会话可见，并且只在服务器内存中保留一小时。请重新上传。",
        "Not found: a result is visible only to the session that uploaded it, for one hour.",
    ),
    "page_not_found": PageMessage(
        "找不到这个页面", "请检查网址，或回到首页。", "No such page: check the address or go back to the start page."
    ),
    "invalid_request": PageMessage(
        "网址无效", "网址可能被截断或改动过。请回到首页重新打开。", "The address is not valid (cut off or changed?)."
    ),
    "method_not_allowed": PageMessage(
        "这个页面不接受此操作", "请从首页的表单进入。", "This page does not accept that request; use the forms of the start page."
    ),
    "missing_file": PageMessage(
        "没有选择文件", "请选择或拖入一个 PDF、TXT 或 Markdown 文件。", "No file was chosen."
    ),
    "corpus_disabled": PageMessage(
        "此服务器没有语料库", "以 `risklens serve --db FILE` 启动服务器后即可浏览已入库的文件。",
        "This server has no corpus; start it with --db FILE.",
    ),
    "invalid_query": PageMessage("查询条件无效", "请检查风险类别或文件编号。", "Invalid query."),
}


DETAILED = frozenset({"invalid_query", "body_too_large", "body_timeout", "too_costly", "too_many_pages", "invalid_feedback"})
"""Codes whose API message adds what the page's advice lacks (the company asked for, the
server's own limit): the error page shows it under the advice. Others show only the advice."""


def page_message(code: str, fallback: str = "") -> PageMessage:
    """The message for ``code``; an unknown code shows the API's message under a plain title."""
    found = MESSAGES.get(code)
    if found is not None:
        return found
    return PageMessage("请求未能完成", fallback or "请稍后再试。", f"The request failed ({code}).")
