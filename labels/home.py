"""Where RiskLens keeps a user's own state (model registry, label store): one rule.

``$RISKLENS_HOME`` when set, else the platform's per-user data directory as
``platformdirs`` defines it — ``~/.local/share/risklens`` on Linux (``$XDG_DATA_HOME``
honoured), ``~/Library/Application Support/risklens`` on macOS,
``%LOCALAPPDATA%\\risklens`` on Windows. Never the current folder: a command run from
another folder must find the same registry (and so pick the same model) and the same
label store.

It lives in ``labels`` because that is the lowest package that keeps user state (the
label store); ``model.registry`` builds on it.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "RISKLENS_HOME"
APP_NAME = "risklens"


def home_is_configured() -> bool:
    """True when ``$RISKLENS_HOME`` names the home explicitly."""
    return bool(os.environ.get(HOME_ENV))


def risklens_home() -> Path:
    """``$RISKLENS_HOME`` (``~`` expanded, made absolute), else the user data directory.

    The folder is not created here: readers must not leave folders behind, writers
    (``Registry.register``, ``LabelStore``) create what they write into.
    """
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser().absolute()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)
