"""Train the n-gram half of the segment classifier on our own labels (training/labels/segments-*.jsonl + our
written examples) and write watcher/classify/ngrams.npz. Deterministic: the same labels and corpus give the same
file. The other half, the encoder, is training/train_encoder.py.

    pip install -e '.[train]'
    python training/train.py [--corpus ../shared/corpus/ota]     # about 3 minutes on 2 cores

The corpus text is read from ../shared (Open Terms Archive contributors, ODC-BY 1.0); only weights are
written. OPP-115 is never read here: it is for evaluation only (training/evaluate_segments.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

from segments import DEFAULT_CORPUS, resolve  # noqa: E402

from watcher.classify.model import THRESHOLD  # noqa: E402
from watcher.classify.ngrams import BUCKETS, features, tfidf  # noqa: E402
from watcher.models import CATEGORIES  # noqa: E402

LABELS = ROOT / "training" / "labels"
EXAMPLES = ROOT / "training" / "examples.jsonl"  # segments we wrote ourselves, with their labels
OUTPUT = ROOT / "watcher" / "classify" / "ngrams.npz"
C = 5.0
EXAMPLES_GROUP = "our-examples"


def load(corpus: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts, label matrix, and groups (the service, so that cross-validation never splits a policy)."""
    texts, labels, groups = [], [], []
    for path in sorted(LABELS.glob("segments-*.jsonl")):
        for row in resolve(corpus, path):
            texts.append(str(row["text"]))
            labels.append([c in row["categories"] for c in CATEGORIES])
            groups.append(str(row["ref"]).split("/")[0])
    if EXAMPLES.exists():
        for line in EXAMPLES.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append([c in row["categories"] for c in CATEGORIES])
                groups.append(EXAMPLES_GROUP)
    return texts, np.array(labels, dtype=int), groups


def matrix(texts: list[str], idf: np.ndarray) -> csr_matrix:
    rows, cols, values = [], [], []
    for row, text in enumerate(texts):
        indices, counts = features(text)
        if len(indices):
            rows.extend([row] * len(indices))
            cols.extend(indices.tolist())
            values.extend(tfidf(indices, counts, idf).tolist())
    return csr_matrix((values, (rows, cols)), shape=(len(texts), 2 * BUCKETS))


def document_frequency_idf(texts: list[str]) -> np.ndarray:
    df = np.zeros(2 * BUCKETS)
    for text in texts:
        indices, _ = features(text)
        df[indices] += 1
    return np.log((1 + len(texts)) / (1 + df)) + 1.0  # sklearn's smooth idf


def fit(texts: list[str], labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idf = document_frequency_idf(texts)
    x = matrix(texts, idf)
    coef = np.zeros((2 * BUCKETS, len(CATEGORIES)))
    intercept = np.zeros(len(CATEGORIES))
    for k in range(len(CATEGORIES)):
        model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced", solver="liblinear", random_state=0)
        model.fit(x, labels[:, k])
        coef[:, k], intercept[k] = model.coef_[0], model.intercept_[0]
    return idf, coef, intercept


def predict(texts: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    scores = matrix(texts, idf) @ coef + intercept
    return 1.0 / (1.0 + np.exp(-scores))


def cross_validate(texts: list[str], labels: np.ndarray, groups: list[str]) -> None:
    """F1 per category on out-of-fold predictions over the labelled corpus segments (folds never split a
    service; our written examples are in every training fold and never scored)."""
    corpus = [i for i, group in enumerate(groups) if group != EXAMPLES_GROUP]
    examples = [i for i, group in enumerate(groups) if group == EXAMPLES_GROUP]
    probabilities = np.zeros((len(corpus), len(CATEGORIES)))
    folds = GroupKFold(5).split(corpus, labels[corpus], [groups[i] for i in corpus])
    for train, test in folds:
        fitted = [corpus[i] for i in train] + examples
        idf, coef, intercept = fit([texts[i] for i in fitted], labels[fitted])
        probabilities[test] = predict([texts[corpus[i]] for i in test], idf, coef, intercept)
    print(f"5-fold cross-validation by service over {len(corpus)} corpus segments (+{len(examples)} examples)")
    scores = [f1_score(labels[corpus, k], probabilities[:, k] >= THRESHOLD) for k in range(len(CATEGORIES))]
    for category, score in zip(CATEGORIES, scores, strict=True):
        print(f"  {category:14} F1 {score:.3f}")
    print(f"  macro-F1       {np.mean(scores):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    texts, labels, groups = load(args.corpus)
    print(f"{len(texts)} labelled segments; per category: {dict(zip(CATEGORIES, labels.sum(0).tolist(), strict=True))}")
    cross_validate(texts, labels, groups)
    idf, coef, intercept = fit(texts, labels)
    np.savez_compressed(
        OUTPUT,
        idf=idf.astype(np.float16),
        coef=coef.astype(np.float16),
        intercept=intercept.astype(np.float32),
        categories=np.array(CATEGORIES),
    )
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
