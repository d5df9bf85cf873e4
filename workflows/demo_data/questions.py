"""The question catalogue built from `question_tables`: ids, titles and non-compliance rates."""

from __future__ import annotations

from typing import NamedTuple

from .question_tables import CLUSTERS


class Question(NamedTuple):
    id: str
    key: str | None  # the hand-written table's key; None for templated questions
    cluster: str
    title: str
    description: str | None
    rate: float


def _templated_rate(typical: float, index: int) -> float:
    # Spread templated questions between 0.4x and 1.6x their cluster's typical rate, by position,
    # so some are common issues and some rare ones, without drawing from any random generator.
    return round(typical * (0.4 + ((index * 7) % 13) / 10), 4)


def _build_catalogue() -> tuple[Question, ...]:
    catalogue = []
    for spec in CLUSTERS:
        number = 0
        for key, title, description, rate in spec.questions:
            number += 1
            catalogue.append(Question(f"{spec.prefix}-{number}", key, spec.cluster, title, description, rate))
        for subject, predicates in spec.topics:
            for predicate in predicates:
                number += 1
                rate = _templated_rate(spec.topic_rate, number)
                catalogue.append(Question(f"{spec.prefix}-{number}", None, spec.cluster,
                                          f"{subject} {predicate}", None, rate))
    return tuple(catalogue)


QUESTIONS = _build_catalogue()
QUESTION_ID = {q.key: q.id for q in QUESTIONS if q.key is not None}
