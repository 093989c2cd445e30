"""Concurrent classify requests share encoder passes, and each keeps its own deadline."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from risklens.serving.admission import Cancelled, Deadline, SpeedMeter
from risklens.serving.app import create_app
from risklens.serving.coalesce import Coalescer
from tests.scoring.fakes import KeywordClassifier
from tests.serving.test_app import TOKEN, fake_settings

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Recording(KeywordClassifier):
    """Records how many paragraphs each call got; ``gate`` holds the calls numbered in ``held`` (from 1)."""

    def __init__(self, gate: threading.Event | None = None, per_call: float = 0.0,
                 held: tuple[int, ...] = (1,)) -> None:
        super().__init__()
        self.first_gate = gate
        self.per_call = per_call
        self.held = held
        self.sizes: list[int] = []

    def predict_proba(self, paragraphs: Iterable[object], batch_size: int = 32, progress: Any = None) -> np.ndarray:
        items = list(paragraphs)
        self.sizes.append(len(items))
        if self.first_gate is not None and len(self.sizes) in self.held:
            assert self.first_gate.wait(10), "test gate never opened"
        if self.per_call:
            time.sleep(self.per_call)
            if progress is not None:
                progress(0, len(items))
        return super().predict_proba(items, batch_size, progress)


def _post(client: TestClient, texts: list[str], out: dict[int, Any], key: int) -> None:
    out[key] = client.post("/v1/classify", json={"paragraphs": [{"text": t} for t in texts]}, headers=AUTH)


def test_requests_that_wait_for_the_encoder_share_one_pass_and_get_their_own_answers() -> None:
    gate = threading.Event()
    model = Recording(gate, held=(1, 2))
    with TestClient(create_app(fake_settings(lambda path: model, token=TOKEN, workers=2))) as client:
        answers: dict[int, Any] = {}
        first = [threading.Thread(target=_post, args=(client, [text], answers, k))
                 for k, text in ((-1, "试用"), (0, "存货跌价"))]
        for thread in first:
            thread.start()
            while len(model.sizes) < 1 + (thread is first[1]):  # one pass per worker, both held
                time.sleep(0.01)
        texts = {1: ["试用设备", "别的"], 2: ["存货跌价", "试用"], 3: ["无关"]}
        waiting = [threading.Thread(target=_post, args=(client, t, answers, k)) for k, t in texts.items()]
        for thread in waiting:
            thread.start()
        time.sleep(0.3)  # all three are queued behind the two held passes
        gate.set()
        for thread in [*first, *waiting]:
            thread.join(10)
    assert model.sizes == [1, 1, 5]  # the first two alone, the three waiting ones in one pass
    labels = {k: [p["labels"] for p in answers[k].json()["paragraphs"]] for k in answers}
    assert labels == {-1: [["trial_goods"]], 0: [["inventory_impairment"]], 1: [["trial_goods"], []],
                      2: [["inventory_impairment"], ["trial_goods"]], 3: [[]]}


def test_coalescing_off_runs_every_request_alone() -> None:
    gate = threading.Event()
    model = Recording(gate)
    with TestClient(create_app(fake_settings(lambda path: model, token=TOKEN, coalesce=0, workers=1))) as client:
        answers: dict[int, Any] = {}
        threads = [threading.Thread(target=_post, args=(client, ["试用"] * k, answers, k)) for k in (1, 2, 3)]
        threads[0].start()
        while not model.sizes:
            time.sleep(0.01)
        for thread in threads[1:]:
            thread.start()
        time.sleep(0.3)
        gate.set()
        for thread in threads:
            thread.join(10)
    assert sorted(model.sizes) == [1, 2, 3] and all(a.status_code == 200 for a in answers.values())


def _state(batch_size: int = 4) -> Any:
    return SimpleNamespace(settings=SimpleNamespace(batch_size=batch_size),
                           executor=concurrent.futures.ThreadPoolExecutor(max_workers=1))


def _loaded(model: KeywordClassifier) -> Any:
    return SimpleNamespace(classifier=model, speed=SpeedMeter(None))


def test_a_pass_holds_at_most_max_paragraphs_and_keeps_the_order() -> None:
    async def scenario() -> tuple[list[int], list[Any]]:
        model, state = Recording(per_call=0.05), _state()
        loaded, coalescer = _loaded(model), Coalescer(max_paragraphs=3)
        futures = [coalescer.submit(state, loaded, [{"text": f"试用{i}"}] * size, Deadline(10))
                   for i, size in enumerate((1, 2, 2, 1, 3))]
        return model.sizes, [await future for future in futures]

    sizes, results = asyncio.run(scenario())
    assert sizes == [1, 3, 2, 3]  # [1] runs at once; then 2+1 (2+2 would pass 3), then 2, then 3
    assert [len(r) for r in results] == [1, 2, 2, 1, 3]


def test_a_request_that_gave_up_while_waiting_is_never_run() -> None:
    async def scenario() -> tuple[list[int], Any, Any]:
        gate = threading.Event()
        model, state = Recording(gate), _state()
        loaded, coalescer = _loaded(model), Coalescer(max_paragraphs=100)
        blocker = coalescer.submit(state, loaded, [{"text": "试用"}], Deadline(10))
        gone = Deadline(10)
        waiting = [coalescer.submit(state, loaded, [{"text": "存货跌价"}] * 2, gone),
                   coalescer.submit(state, loaded, [{"text": "试用"}], Deadline(10))]
        gone.cancel()  # while the blocker's pass is held and the two wait together
        gate.set()
        await blocker
        return model.sizes, await waiting[1], (await asyncio.gather(waiting[0], return_exceptions=True))[0]

    sizes, alive, gone = asyncio.run(scenario())
    assert sizes == [1, 1] and [p.labels for p in alive] == [["trial_goods"]]
    assert isinstance(gone, Cancelled)


def test_one_request_giving_up_does_not_stop_the_pass_it_shares() -> None:
    async def scenario() -> tuple[list[int], Any, Any]:
        gate = threading.Event()
        model, state = Recording(gate, per_call=0.01, held=(2,)), _state()
        loaded, coalescer = _loaded(model), Coalescer(max_paragraphs=100)
        blocker = coalescer.submit(state, loaded, [{"text": "试用"}], Deadline(10))
        gone = Deadline(10)
        shared = [coalescer.submit(state, loaded, [{"text": "存货跌价"}], gone),
                  coalescer.submit(state, loaded, [{"text": "试用"}], Deadline(10))]
        await blocker
        while len(model.sizes) < 2:  # the shared pass has begun (and is held)
            await asyncio.sleep(0.01)
        gone.cancel()
        gate.set()
        return model.sizes, await shared[1], await shared[0]

    sizes, alive, gone = asyncio.run(scenario())
    assert sizes == [1, 2]
    assert [p.labels for p in alive] == [["trial_goods"]] and [p.labels for p in gone] == [["inventory_impairment"]]


def test_a_pass_whose_requests_all_gave_up_stops() -> None:
    async def scenario() -> Any:
        model, state = Recording(per_call=0.05), _state()
        deadline = Deadline(10)
        future = Coalescer(max_paragraphs=10).submit(state, _loaded(model), [{"text": "试用"}] * 8, deadline)
        await asyncio.sleep(0.01)
        deadline.cancel()
        return (await asyncio.gather(future, return_exceptions=True))[0]

    assert isinstance(asyncio.run(scenario()), Cancelled)


def test_coalescer_refuses_an_empty_pass() -> None:
    with pytest.raises(ValueError, match="at least 1 paragraph"):
        Coalescer(0)
    with pytest.raises(ValueError, match="at least 1 pass"):
        Coalescer(8, 0)
