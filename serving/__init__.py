"""Scoring filings and serving them over HTTP.

``scoring`` turns a filing into a risk profile (``profile``: the 0–100 formula with
evidence), ``compare`` aligns two filings and reports risks added, removed and changed,
``report_text`` / ``report_html`` render both, and ``app`` is the FastAPI application that
``risklens serve`` runs (``server``). This package uses ``model`` and ``filings``, never
``training``; nothing heavy (torch, FastAPI) is imported by importing it.
"""
