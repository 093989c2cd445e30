"""Scoring a filing: its risk profile, comparisons between filings, and text/HTML reports.

Not HTTP: the command line, the coming corpus store and the server all build on it.
"""
