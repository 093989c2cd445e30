"""The HTTP face of RiskLens: the FastAPI application that ``risklens serve`` runs.

``app`` builds the application (``create_app``), ``routes`` answers the requests,
``schemas`` holds the request and response bodies that are HTTP's own (profiles and
comparisons answer with ``scoring``'s dataclasses), ``auth``, ``limits``, ``errors``,
``uploads`` and ``accesslog`` guard and record them, ``state`` holds the model and swaps it
on reload, ``server`` runs uvicorn, and ``benchmark`` load-tests a running server. Scoring
a filing is ``scoring``; this package uses ``scoring``, ``model``, ``labels`` and
``filings``, never ``training`` or the ``risklens`` shell; nothing heavy (torch, FastAPI)
is imported by importing it.
"""
