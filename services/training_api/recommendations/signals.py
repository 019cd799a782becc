"""What colleagues did, computed from completions: per role, the share of the
colleagues who reached the role's required levels ("achievers") who took each
course and each course's popularity in the role; across the plant, item-to-item
similarity of courses from who completed them together (implicit's cosine
nearest-neighbour model). Pure: the model job feeds it rows from the database,
the offline evaluation rows from before its cut-off date."""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.training_api.recommendations.ranker import RoleSignals

NEIGHBOURS = 20  # similar courses kept per course


@dataclass(frozen=True)
class Member:
    employee_no: str
    job_role: str
    achiever: bool  # reached every level the role requires (everyone, without a model)


def neighbours(completions: Mapping[str, Iterable[str]],
               k: int = NEIGHBOURS) -> dict[str, dict[str, float]]:
    """course -> {similar course: cosine similarity}, the ``k`` most similar, from the
    employees x courses matrix of completions."""
    # imported here, not at the top: they take seconds to load, and the service
    # should answer before the first model build needs them
    import numpy as np
    from implicit.nearest_neighbours import CosineRecommender
    from scipy.sparse import csr_matrix

    codes = sorted({c for done in completions.values() for c in done})
    if len(codes) < 2:
        return {}
    col = {c: i for i, c in enumerate(codes)}
    rows, cols = [], []
    for r, done in enumerate(completions.values()):
        for c in set(done):
            rows.append(r)
            cols.append(col[c])
    matrix = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                        shape=(len(completions), len(codes)))
    model = CosineRecommender(K=k + 1)  # + 1: each course is its own nearest neighbour
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(matrix, show_progress=False)
    sim = model.similarity.tocsr()
    out: dict[str, dict[str, float]] = {}
    for i, code in enumerate(codes):
        start, end = sim.indptr[i], sim.indptr[i + 1]
        found = {codes[j]: float(v) for j, v in zip(sim.indices[start:end], sim.data[start:end],
                                                     strict=True) if j != i and v > 0}
        if found:
            out[code] = found
    return out


def role_signals(members: Iterable[Member], completions: Mapping[str, Iterable[str]],
                 similar: Mapping[str, Mapping[str, float]]) -> dict[str, RoleSignals]:
    """job role -> its signals. Popularity is the share of the role's members who took
    the course, scaled so that the most popular is 1."""
    takers: dict[str, Counter[str]] = defaultdict(Counter)
    achiever_takers: dict[str, Counter[str]] = defaultdict(Counter)
    achievers: Counter[str] = Counter()
    for m in members:
        done = set(completions.get(m.employee_no, ()))
        takers[m.job_role].update(done)
        if m.achiever:
            achievers[m.job_role] += 1
            achiever_takers[m.job_role].update(done)
    out = {}
    for role in set(takers) | set(achievers):
        top = max(takers[role].values(), default=0)
        n = achievers[role]
        out[role] = RoleSignals(
            achievers=n,
            achiever_share={c: t / n for c, t in achiever_takers[role].items()} if n else {},
            popularity={c: t / top for c, t in takers[role].items()} if top else {},
            neighbours=similar)
    return out
