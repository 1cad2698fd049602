"""The experiment behind README's "Domain adaptation" line: adapt on one half's text, fine-tune on it, judge the
other half against the unadapted models' held-out probabilities (/tmp/cv-new.npz, saved from train_encoder.py's
halves).

    python training/adapt_experiment.py B    # the half to judge
"""

import sys

import numpy as np

sys.path.insert(0, "training")
import adapt_encoder as ae
import train
import train_encoder as te
from segments import halves
from sklearn.metrics import f1_score

from watcher.classify.encoder import open_encoder
from watcher.classify.model import SegmentModel
from watcher.classify.ngrams import NgramModel
from watcher.models import CATEGORIES

test_half = sys.argv[1]
train_half = "B" if test_half == "A" else "A"
texts, labels, groups = train.load(te.DEFAULT_CORPUS)
h = halves()
held = {s for s, x in h.items() if x == test_half}
base = ae.adapted(te.pretrained(), only={s for s, x in h.items() if x == train_half})
kept = [i for i, g in enumerate(groups) if g not in held]
graph = te.encoder_for([texts[i] for i in kept], labels[kept], base)
idf, coef, intercept = train.fit([texts[i] for i in kept], labels[kept])
ngrams = NgramModel(idf.astype(np.float32), coef.astype(np.float32), intercept.astype(np.float32), CATEGORIES)
enc = open_encoder(graph, te.pretrained() / "tokenizer.json")
model = SegmentModel(ngrams, lambda: enc)
test = [i for i, g in enumerate(groups) if g in held]
tt = [texts[i] for i in test]
e = enc.probabilities(tt)
sh = model.probabilities_of(tt)
np.savez(f"/tmp/adapt-{test_half}.npz", enc=e, shipped=sh, gold=labels[test])
d = np.load("/tmp/cv-new.npz")
rows = np.array([h[g] == test_half for g in d["groups"]])
assert (d["gold"][rows] == labels[test]).all()


def show(name, gold, p):
    s = [f1_score(gold[:, k], p[:, k] >= 0.5) for k in range(len(CATEGORIES))]
    print(f"{name:22} {np.mean(s):.3f} ", " ".join(f"{c[:6]} {x:.3f}" for c, x in zip(CATEGORIES, s, strict=True)))


show("baseline encoder", labels[test], d["enc"][rows])
show("adapted encoder", labels[test], e)
show("baseline shipped", labels[test], d["shipped"][rows])
show("adapted shipped", labels[test], sh)
