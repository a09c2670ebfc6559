"""The "model": a multinomial naive Bayes intent classifier over words and word bigrams.

Trained at start-up from the catalogue's example queries (milliseconds for a few hundred examples).

Calibration: naive Bayes posteriors are notoriously over-confident, so the reported confidence is
softmax(log-joint / T). The temperature T is fitted at training time by minimising the negative
log-likelihood of leave-one-out predictions on the training examples (each example scored by a
model that has not seen it), which makes the 0.65 threshold mean roughly "right 65 % of the time".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

MODEL_NAME = "naive-bayes-bigram-v1"
_TEMPERATURES = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
_WORD = re.compile(r"[^\W\d_]+|\d+(?:\.\d+)?|[+\-*/^×÷%=]")


def features(text: str) -> List[str]:
    """Lower-cased words (numbers folded to ``<num>``), a start marker bigram, and word bigrams."""
    words = ["<num>" if w[0].isdigit() else w
             for w in _WORD.findall(text.lower().replace("'", "").replace("’", ""))]
    padded = ["<s>"] + words
    return words + [f"{a} {b}" for a, b in zip(padded, padded[1:])]


@dataclass(frozen=True)
class Prediction:
    """The classifier's answer: best label, its calibrated probability, and the full ranking."""

    label: str
    confidence: float
    ranking: Tuple[Tuple[str, float], ...]


class NaiveBayesClassifier:
    """Multinomial naive Bayes with Laplace smoothing and uniform class priors.

    Immutable after ``fit``; ``predict`` is safe to call from many threads at once.
    """

    def __init__(self, alpha: float = 0.3) -> None:
        self.alpha = alpha
        self.labels: Tuple[str, ...] = ()
        self.temperature = 1.0
        self._counts: Dict[str, Counter] = {}
        self._totals: Dict[str, int] = {}
        self._vocabulary: frozenset = frozenset()
        self._log_prob: Dict[str, Dict[str, float]] = {}
        self._log_unseen: Dict[str, float] = {}

    @property
    def vocabulary_size(self) -> int:
        """Number of distinct features seen in training."""
        return len(self._vocabulary)

    def fit(self, examples: Sequence[Tuple[str, str]]) -> "NaiveBayesClassifier":
        """Train on (text, label) pairs, then calibrate the temperature. Returns self."""
        if not examples:
            raise ValueError("cannot train a classifier on no examples")
        labels: List[str] = []
        counts: Dict[str, Counter] = {}
        for text, label in examples:
            if label not in counts:
                labels.append(label)
                counts[label] = Counter()
            counts[label].update(features(text))
        self.labels = tuple(labels)
        self._counts = counts
        self._totals = {label: sum(c.values()) for label, c in counts.items()}
        self._vocabulary = frozenset(f for c in counts.values() for f in c)
        v = len(self._vocabulary)
        self._log_unseen = {label: math.log(self.alpha / (self._totals[label] + self.alpha * v))
                            for label in labels}
        self._log_prob = {
            label: {f: math.log((n + self.alpha) / (self._totals[label] + self.alpha * v))
                    for f, n in counts[label].items()}
            for label in labels}
        self.temperature = self._calibrate(examples)
        return self

    def predict(self, text: str) -> Prediction:
        """Classify one text. Features never seen in training are ignored."""
        feats = [f for f in features(text) if f in self._vocabulary]
        scores = [sum(self._log_prob[label].get(f, self._log_unseen[label]) for f in feats)
                  for label in self.labels]
        return self._prediction(scores, self.temperature)

    def _prediction(self, scores: Sequence[float], temperature: float) -> Prediction:
        probabilities = _softmax([s / temperature for s in scores])
        ranking = tuple(sorted(zip(self.labels, probabilities), key=lambda p: -p[1]))
        return Prediction(ranking[0][0], ranking[0][1], ranking)

    def _calibrate(self, examples: Sequence[Tuple[str, str]]) -> float:
        """Fit T on leave-one-out scores: each example is removed from its class counts first."""
        v = len(self._vocabulary)
        held_out: List[Tuple[List[float], int]] = []
        for text, label in examples:
            own = Counter(features(text))
            scores = []
            for other in self.labels:
                counts, total = self._counts[other], self._totals[other]
                if other == label:
                    total -= sum(own.values())
                score = 0.0
                for f, n in own.items():
                    seen = counts.get(f, 0) - (n if other == label else 0)
                    score += n * math.log((seen + self.alpha) / (total + self.alpha * v))
                scores.append(score)
            held_out.append((scores, self.labels.index(label)))

        def loss(t: float) -> float:
            return -sum(math.log(max(_softmax([s / t for s in scores])[i], 1e-12)) for scores, i in held_out)

        return min(_TEMPERATURES, key=loss)


def _softmax(values: Sequence[float]) -> List[float]:
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]
