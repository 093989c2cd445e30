"""The shell's one progress bar: absolute ``done``, a ``total`` that may grow, safe close."""

from risklens.commands.progress import ProgressBar


def test_bar_follows_absolute_done_and_a_changing_total() -> None:
    with ProgressBar("predict", "window") as bar:
        bar(0, 4)
        bar(3, 10)
        assert (bar._bar.n, bar._bar.total) == (3, 10)
    assert bar._bar is None
    bar.close()  # twice is harmless


def test_bar_that_never_reported_prints_nothing(capsys) -> None:  # type: ignore[no-untyped-def]
    with ProgressBar("idle"):
        pass
    assert capsys.readouterr().err == ""
