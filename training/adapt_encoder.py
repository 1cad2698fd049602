"""Adapt the pretrained encoder to privacy policies before it is fine-tuned: masked-language-model training on the
unlabelled text of the corpus (every distinct segment of every version; Open Terms Archive, ODC-BY 1.0, read
from ../shared), as PrivBERT was pre-trained on privacy policies. No label is read here, nor OPP-115.

    python training/adapt_encoder.py [--services A|B]   # writes training/.cache/adapted-<hash>/

train_encoder.py calls `adapted()` itself; run this script alone only to warm the cache. The adapted weights
are kept by a hash of the text they were trained on, so cross-validation adapts each half on its own services'
text, never on the half it is judged on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from segments import DEFAULT_CORPUS, halves, services, version_segments  # noqa: E402

from watcher.classify.encoder import MAX_TOKENS, open_tokenizer  # noqa: E402

CACHE = ROOT / "training" / ".cache"
EPOCHS = 1
LEARNING_RATE = 1e-4
BATCH = 32
MASKED = 0.15  # of the tokens, as in BERT: 80% [MASK], 10% a random token, 10% unchanged
SEED = 0
THREADS = 2


def distinct_texts(corpus: Path, only: set[str] | None = None) -> list[str]:
    """Every distinct segment of every version of the corpus's services (or of `only` these), in corpus order."""
    seen: dict[str, None] = {}
    for service, versions in services(corpus):
        if only is None or service in only:
            for version in versions:
                for segment in version_segments(corpus, service, version):
                    seen.setdefault(segment.text)
    return list(seen)


def _mask(ids, special, vocabulary: int, generator):
    """BERT's masking: the inputs with MASKED of their ordinary tokens hidden, and the targets (-100 elsewhere)."""
    import torch

    chosen = (torch.rand(ids.shape, generator=generator) < MASKED) & ~special
    targets = torch.where(chosen, ids, torch.full_like(ids, -100))
    draw = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (draw < 0.8)] = 103  # [MASK] in the uncased WordPiece vocabulary
    swapped = chosen & (draw >= 0.8) & (draw < 0.9)
    inputs[swapped] = torch.randint(1000, vocabulary, ids.shape, generator=generator)[swapped]
    return inputs, targets


def adapt(texts: list[str], base: Path, output: Path) -> None:
    """Masked-language-model training of `base` on `texts`; the encoder (no MLM head) is saved to `output`."""
    import torch
    from train_encoder import _batches
    from transformers import BertForMaskedLM

    torch.manual_seed(SEED)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(SEED)
    generator = torch.Generator().manual_seed(SEED)
    network = BertForMaskedLM.from_pretrained(base)  # the MLM head is new: the sentence model ships none
    encodings = open_tokenizer(base / "tokenizer.json").encode_batch(texts)
    vocabulary = network.config.vocab_size
    steps = EPOCHS * -(-len(texts) // BATCH)
    optimizer = torch.optim.AdamW(network.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    warmup = 0.06 * steps
    rate = lambda step: min((step + 1) / warmup, (steps - step) / (steps - warmup))  # noqa: E731
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    network.train()
    started, total, seen = time.perf_counter(), 0.0, 0
    for _ in range(EPOCHS):
        for step, (_, ids, mask) in enumerate(_batches(encodings, BATCH, rng)):
            special = (ids == 101) | (ids == 102) | (mask == 0)  # [CLS], [SEP], padding
            inputs, targets = _mask(ids, special, vocabulary, generator)
            hidden = network.bert(input_ids=inputs, attention_mask=mask).last_hidden_state
            chosen = targets != -100  # the head reads the masked positions only: a sixth of the cost
            logits = network.cls(hidden[chosen])
            loss = torch.nn.functional.cross_entropy(logits, targets[chosen])
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total, seen = total + loss.item(), seen + 1
            if step % 50 == 0:
                print(
                    f"  step {step}/{steps}: loss {total / seen:.3f} ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
                total, seen = 0.0, 0
    tmp = output.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    network.bert.save_pretrained(tmp)
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(base / name, tmp / name)
    tmp.rename(output)


def adapted(base: Path, corpus: Path = DEFAULT_CORPUS, only: set[str] | None = None) -> Path:
    """The folder of `base` adapted to the corpus's text (of `only` these services): cached, or trained now."""
    texts = distinct_texts(corpus, only)
    recipe = json.dumps([texts, EPOCHS, LEARNING_RATE, BATCH, MASKED, SEED, THREADS, MAX_TOKENS])
    output = CACHE / f"adapted-{hashlib.sha256(recipe.encode()).hexdigest()[:16]}"
    if not output.exists():
        CACHE.mkdir(exist_ok=True)
        print(f"adapting the encoder to {len(texts)} corpus segments -> {output.relative_to(ROOT)}", flush=True)
        adapt(texts, base, output)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--services", choices="AB", help="only the services of this half (segments.halves)")
    args = parser.parse_args()
    from train_encoder import pretrained

    only = {s for s, h in halves(args.corpus).items() if h == args.services} if args.services else None
    print(adapted(pretrained(), args.corpus, only))


if __name__ == "__main__":
    main()
