"""The fine-tuned sentence encoder: MiniLM-L6 (all-MiniLM-L6-v2's weights, Apache-2.0) with a multi-label head,
fine-tuned on our labels by training/train_encoder.py and shipped as an int8 ONNX graph (encoder.onnx) with its
WordPiece tokenizer (tokenizer.json). onnxruntime runs it on one thread, one text at a time."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from watcher.models import CATEGORIES

MAX_TOKENS = 128  # as in training; longer segments are read up to here


@dataclass(frozen=True)
class Encoder:
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer
    categories: tuple[str, ...]  # the head's order, from the graph's metadata

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), categories) probabilities. One text per run: the int8 graph quantizes its activations with
        one scale per run, so in a batch a text's probabilities would depend on the texts beside it (by up to 0.17,
        flipping categories) and on their padding; alone, it always gets the same answer and needs no padding."""
        out = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(list(texts))):
            ids = np.array([encoding.ids], dtype=np.int64)
            out[row] = self.session.run(None, {"ids": ids, "mask": np.ones_like(ids)})[0][0]
        return out


def open_tokenizer(path: Path) -> Any:
    """The WordPiece tokenizer as the encoder reads with it: truncated at MAX_TOKENS, no padding."""
    from tokenizers import Tokenizer

    words = Tokenizer.from_file(str(path))
    words.enable_truncation(MAX_TOKENS)
    words.no_padding()
    return words


def open_encoder(graph: Path, tokenizer: Path) -> Encoder:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    categories = tuple(session.get_modelmeta().custom_metadata_map["categories"].split(","))
    assert categories == CATEGORIES, f"{graph} was trained for other categories: rebuild it"
    return Encoder(session, open_tokenizer(tokenizer), categories)


@functools.cache
def load_encoder() -> Encoder:
    package = resources.files("watcher.classify")
    with resources.as_file(package / "encoder.onnx") as graph, resources.as_file(package / "tokenizer.json") as words:
        return open_encoder(graph, words)
