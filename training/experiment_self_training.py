"""Experiment (not shipped; README, "Accuracy"): self-training the n-gram model. Each half's held-out model as
shipped labels the unlabelled corpus segments of its own training services (6,884 distinct segments not in our
labels); the n-grams are refitted on our labels plus those pseudo-labels and judged on the other half, alone
and in the cascade with the same encoder. Needs the held-out probabilities of `train_encoder.py --cv` saved
as /tmp/cv-new.npz (ng, enc, shipped, gold per tested segment) for the comparison.

    python training/experiment_self_training.py hard        # every pseudo-label
    python training/experiment_self_training.py confident   # only segments no category of which is unsure
"""

import sys
import time

import numpy as np

sys.path.insert(0, "training")
import train
import train_encoder as te
from segments import halves, text_hash, version_segments
from segments import services as corpus_services
from sklearn.metrics import f1_score

from watcher.classify.model import SegmentModel
from watcher.classify.ngrams import NgramModel
from watcher.models import CATEGORIES

MODE = sys.argv[1] if len(sys.argv) > 1 else "hard"  # hard | confident
corpus = te.DEFAULT_CORPUS
texts, labels, groups = train.load(corpus)
labelled = {text_hash(t) for t in texts}
pool: dict[str, tuple[str, str]] = {}
for service, files in corpus_services(corpus):
    for f in files:
        for seg in version_segments(corpus, service, f):
            if seg.sha not in labelled and seg.sha not in pool:
                pool[seg.sha] = (service, seg.text)
print("pool", len(pool), flush=True)
tested = [i for i, g in enumerate(groups) if g != train.EXAMPLES_GROUP]
ng = np.zeros((len(texts), len(CATEGORIES)))
sh = ng.copy()
enc = ng.copy()
half_of = halves()
for half in "AB":
    svc = {s for s, h in half_of.items() if h == half}
    kept, model = te.model_without(svc, texts, labels, groups)
    side = [t for s, t in pool.values() if s not in svc]
    t0 = time.time()
    p = model.probabilities_of(side)
    if MODE == "confident":
        ok = ~((p > 0.3) & (p < 0.7)).any(axis=1)
        side = [t for t, o in zip(side, ok, strict=True) if o]
        p = p[ok]
    pseudo = (p >= 0.5).astype(int)
    print(half, "pseudo", len(side), f"{time.time() - t0:.0f}s", pseudo.mean(axis=0).round(3), flush=True)
    fit_texts = [texts[i] for i in kept] + side
    idf, coef, intercept = train.fit(fit_texts, np.vstack([labels[kept], pseudo]))
    ngrams = NgramModel(idf.astype(np.float32), coef.astype(np.float32), intercept.astype(np.float32), CATEGORIES)
    new = SegmentModel(ngrams, model.encoder)
    test = [i for i in tested if groups[i] in svc]
    tt = [texts[i] for i in test]
    ng[test] = ngrams.probabilities(tt)
    sh[test] = new.probabilities_of(tt)
gold = labels[tested]
old = np.load("/tmp/cv-new.npz")
assert (old["gold"] == gold).all()


def show(name, p):
    s = [f1_score(gold[:, k], p[:, k] >= 0.5) for k in range(len(CATEGORIES))]
    scores = " ".join(f"{c[:6]} {x:.3f}" for c, x in zip(CATEGORIES, s, strict=True))
    print(f"{name:22} {np.mean(s):.3f} ", scores, flush=True)


show("old ngrams", old["ng"])
show("new ngrams", ng[tested])
show("old shipped", old["shipped"])
show("new shipped", sh[tested])
