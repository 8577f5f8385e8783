"""`quiz --review`: Leitner boxes over the quiz's topics, replayed from the recorded answers.

Each topic of the question generator is a flash card. Its box is worked out from the
learner's answers on that topic, in the order they were given: a right answer moves the
card up one box (at most BOXES), a wrong or skipped one back to box 1. A card in box k is
due again INTERVALS[k] quiz sessions after the session it was last asked in (1, 2, 4, 8,
16): a topic answered wrongly comes back in the next session, one answered right
repeatedly comes back later and later. Nothing but the answers is stored, so the
schedule cannot disagree with the record.

A review asks the due cards, lowest box first (then the lowest recent accuracy), going
round them again when there are fewer cards than questions; when nothing is due, the
cards nearest to being due. Each question is drawn fresh by the generator on the card's
topic; among a few draws the first on which one of the learner's repeated mistakes (made
at least twice) is possible is taken, so the review also practises those mistakes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .progress import RECENT, sessions

BOXES = 5
INTERVALS = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}  # sessions until a card in the box is due
DRAWS = 8  # questions drawn per slot when looking for one where a repeated mistake fits
REPEATED = 2  # a mistake made this often is practised on purpose


@dataclass
class Card:
    topic: str
    box: int = 1
    last_session: int = 0  # index of the session it was last asked in
    answers: list = field(default_factory=list)  # right (True) / wrong, in order
    due_in: int = 0  # sessions until due; 0 or less: due now

    @property
    def recent_accuracy(self) -> float:
        recent = self.answers[-RECENT:]
        return sum(recent) / len(recent)

    @property
    def due(self) -> bool:
        return self.due_in <= 0


def cards(rows: list) -> list:
    """The topic cards, replayed from the answers (rows in the order given)."""
    from .quizgen import TOPICS

    index = {s["session"]: i for i, s in enumerate(sessions(rows))}
    current = len(index)  # the review about to start is the next session
    deck: dict = {}
    for r in rows:
        if r["topic"] not in TOPICS:
            continue
        card = deck.setdefault(r["topic"], Card(r["topic"]))
        right = bool(r["correct"])
        card.box = min(card.box + 1, BOXES) if right else 1
        card.last_session = index[r["session"]]
        card.answers.append(right)
    for card in deck.values():
        card.due_in = card.last_session + INTERVALS[card.box] - current
    return sorted(
        deck.values(),
        key=lambda c: (c.due_in > 0, max(c.due_in, 0), c.box, c.recent_accuracy, c.topic),
    )


def repeated_mistakes(rows: list) -> list:
    made: dict = {}
    for r in rows:
        for m in set(r["misconceptions"]):
            made[m] = made.get(m, 0) + 1
    return sorted((m for m, n in made.items() if n >= REPEATED), key=lambda m: (-made[m], m))


def plan(rows: list, count: int) -> list:
    """The topic of each review question, in order."""
    deck = cards(rows)
    if not deck:
        return []
    due = [c for c in deck if c.due] or deck
    return [due[i % len(due)].topic for i in range(count)]


def review_questions(rows: list, count: int, seed=None) -> tuple:
    """(questions, deck): `count` fresh questions on the planned topics."""
    from .misconceptions import predictions
    from .quizgen import generate

    deck = cards(rows)
    topics = plan(rows, count)
    mistakes = repeated_mistakes(rows)
    rng = random.Random(seed)
    out = []
    for n, topic in enumerate(topics, 1):
        first = None
        for _ in range(DRAWS):
            q = generate(None, 1, rng.randrange(2**32), topic)[0]
            first = first or q
            possible = {p.id for p in predictions(q.situation)}
            if not mistakes or possible & set(mistakes):
                first = q
                break
        assert first is not None  # DRAWS draws at least one
        first.id = f"r{n}"
        out.append(first)
    return out, deck


__all__ = ["Card", "cards", "plan", "review_questions", "repeated_mistakes", "INTERVALS", "BOXES"]
