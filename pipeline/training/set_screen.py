"""`train.screen_sets`: drop the feature sets the labels say nothing through, before any model trains.

A set of pure noise costs the fusion models several WAF points on a few hundred clips (its dimensions
are as easy to fit as the informative ones), so the train stage first removes sets one at a time while
the cheap linear model's out-of-fold WAF, on the same folds as the models after it, does not fall
without them (backward elimination: a tie drops the set, the simpler fusion wins). The choice sees the
folds' validation labels, so the chosen model's CV WAF is a little optimistic; the test splits never
take part.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.training.views import View


def screen(score: Callable[[list[View]], float], views: list[View]) -> tuple[list[View], dict]:
    """The sets kept (in their order) and the record of each step: `score` is the CV WAF of a subset."""
    kept = list(views)
    base = score(kept)
    dropped = []
    while len(kept) > 1:
        without = {v.name: score([u for u in kept if u is not v]) for v in kept}
        name = max(without, key=lambda n: without[n])
        if without[name] < base:
            break
        dropped.append(
            {"set": name, "linear_cv_waf_with": round(base, 4), "without": round(without[name], 4)}
        )
        kept = [v for v in kept if v.name != name]
        base = without[name]
    return kept, {"kept": [v.name for v in kept], "dropped": dropped, "linear_cv_waf": round(base, 4)}
