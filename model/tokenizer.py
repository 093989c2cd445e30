"""The saved ``tokenizer.json`` run through the ``tokenizers`` library alone, as ``make_windows`` calls it.

``AutoTokenizer`` wraps the same Rust tokenizer but importing it loads most of transformers
(about a second). :class:`WindowTokenizer` answers exactly the calls ``model.inputs.make_windows``
makes — a batch of texts or (heading, text) pairs, truncated to ``max_length`` with ``stride``
tokens of overlap and the overflow returned as extra rows — the way transformers' fast
tokenizer does: truncation strategy ``only_second`` or ``longest_first``, each encoding
followed by its overflowing ones, ``overflow_to_sample_mapping`` naming the input of each row.
``tests/model/test_load_encoder.py`` checks it against ``AutoTokenizer`` window for window.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


class WindowTokenizer:
    """A ``tokenizers.Tokenizer`` with the part of the transformers call API inference uses."""

    def __init__(self, directory: Path) -> None:
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        self._tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        config_path = self.directory / "tokenizer_config.json"
        config = json.loads(config_path.read_text("utf-8")) if config_path.is_file() else {}
        pad = config.get("pad_token")
        pad_token = pad.get("content") if isinstance(pad, dict) else pad
        self.pad_token_id: int | None = self._tokenizer.token_to_id(pad_token) if pad_token else None
        self.model_max_length = int(config.get("model_max_length", 512))

    def __call__(
        self,
        text: list[str],
        text_pair: list[str] | None = None,
        *,
        truncation: bool | str = True,
        max_length: int,
        stride: int = 0,
        return_overflowing_tokens: bool = True,
        return_token_type_ids: bool = True,
        return_attention_mask: bool = False,
    ) -> dict[str, Any]:
        """``input_ids``, ``token_type_ids`` and ``overflow_to_sample_mapping`` of every window."""
        if not return_overflowing_tokens or not truncation:
            raise ValueError("WindowTokenizer only splits long inputs into overlapping windows "
                             "(truncation with return_overflowing_tokens=True), as make_windows asks.")
        strategy = truncation if isinstance(truncation, str) else "longest_first"
        self._tokenizer.enable_truncation(max_length, stride=stride, strategy=strategy, direction="right")
        inputs: list[Any] = list(text) if text_pair is None else list(zip(text, text_pair, strict=True))
        ids: list[list[int]] = []
        types: list[list[int]] = []
        owners: list[int] = []
        for i, encoding in enumerate(self._tokenizer.encode_batch(inputs, add_special_tokens=True)):
            for window in [encoding, *encoding.overflowing]:
                ids.append(window.ids)
                types.append(window.type_ids)
                owners.append(i)
        out: dict[str, Any] = {"input_ids": ids, "overflow_to_sample_mapping": owners}
        if return_token_type_ids:
            out["token_type_ids"] = types
        if return_attention_mask:
            out["attention_mask"] = [[1] * len(row) for row in ids]
        return out

    def save_pretrained(self, directory: str | Path) -> None:
        """Copy the tokenizer files into ``directory`` (unchanged: nothing here is trained)."""
        target = Path(directory)
        for name in TOKENIZER_FILES:
            source = self.directory / name
            if source.is_file() and source.resolve() != (target / name).resolve():
                shutil.copyfile(source, target / name)
