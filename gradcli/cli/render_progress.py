"""`gradcli progress` at the terminal: the tables, the sparkline, the weakest spots."""

from __future__ import annotations

BLOCKS = "▁▂▃▄▅▆▇█"
ASCII_BLOCKS = "_.,-=+*#"
CHART_SESSIONS = 40


def sparkline(fractions: list, ascii: bool = False) -> str:
    """One character per value in [0, 1]: the lowest block for 0, the full one for 1."""
    marks = ASCII_BLOCKS if ascii else BLOCKS
    return "".join(marks[round(f * (len(marks) - 1))] for f in fractions)


def _percent(right: int, seen: int) -> str:
    return f"{right} of {seen} ({round(100 * right / seen)}%)" if seen else "-"


def _trend(word, change) -> str:
    if word is None:
        return "-"
    return f"{word} ({'+' if change >= 0 else '-'}{round(abs(change) * 100)}%)"


def _topic(name) -> str:
    return name if name is not None else "(quiz files)"


def render_summary(console, s: dict, store: str, suggest: str, ascii: bool) -> None:
    from rich.text import Text

    from .fit import FitTable

    def say(text: str = "") -> None:
        console.print(Text(text))

    def run(command: str) -> None:
        """A command to paste: on a line of its own, never wrapped or cut, even inside
        the quotes around a --db path."""
        console.print(Text(command), soft_wrap=True)

    if not s["answers"]:
        say(f"No answers are recorded in {store} yet.")
        say("Take a quiz to start:")
        run(suggest)
        return
    runs = s["sessions"]
    say(
        f"Progress: {s['answers']} answers in {len(runs)} quiz "
        f"session{'s' if len(runs) != 1 else ''}, {s['right']} right ({store})"
    )
    say()
    shown = runs[-CHART_SESSIONS:]
    line = sparkline([r["right"] / r["total"] for r in shown], ascii)
    which = "" if len(shown) == len(runs) else f", the last {len(shown)}"
    last = shown[-1]
    say(f"Accuracy per quiz session (oldest first{which}): {line}")
    low, high = sparkline([0.0, 1.0], ascii)[0], sparkline([0.0, 1.0], ascii)[-1]
    say(
        f"  (the chart's {low} is 0% right, {high} is 100%); the last session: "
        f"{last['right']} of {last['total']} right"
    )
    say()
    recent = s["recent"]
    rows = [
        [
            _topic(t["topic"]),
            str(t["seen"]),
            _percent(t["right"], t["seen"]),
            _percent(t["recent_right"], t["recent_seen"]),
            _trend(t["trend"], t["trend_change"]),
        ]
        for t in s["topics"]
    ]
    console.print(
        FitTable(
            ["topic", "answers", "right", f"last {recent}", "trend"],
            rows,
            title="By topic",
            ascii=ascii,
        )
    )
    say(
        f"last {recent}: right answers among the last {recent}; trend: those against the "
        f"{recent} before them (shown once there are {2 * recent})."
    )
    say()
    if s["misconceptions"]:
        rows = [
            [
                m["misconception"],
                str(m["made"]),
                str(m["chances"]),
                _percent(m["recent_right"], m["recent_chances"]),
                _trend(m["trend"], m["trend_change"]),
            ]
            for m in s["misconceptions"]
        ]
        console.print(
            FitTable(
                ["mistake", "made", "could be made", f"last {recent}", "trend"],
                rows,
                title="By mistake",
                ascii=ascii,
            )
        )
        say(
            f"made: answers where the mistake was found; could be made: questions where it "
            f"gives a wrong number; last {recent}: right answers among the last {recent} "
            f"of those."
        )
        say()
    else:
        say("No catalogued mistake has been found in your answers.")
        say()
    if s["weakest"]:
        say("Weakest spots (right in the last answers they concern):")
        for n, w in enumerate(s["weakest"], 1):
            kind = "topic" if w["kind"] == "topic" else "mistake"
            say(
                f"  {n}. {kind} {_topic(w['name'])}: {w['recent_right']} of "
                f"{w['recent_seen']} right"
            )
        say("Practise them:")
        run(suggest)
    elif all(t["recent_right"] == t["recent_seen"] for t in s["topics"]):
        say("Your last answers on every topic were right. Keep them fresh:")
        run(suggest)
    else:
        say(
            "No weak spot among the quiz's topics and mistakes; the answers to quiz files "
            "that were wrong have no topic and no catalogued mistake."
        )


def render_merge(console, m: dict, ascii: bool) -> None:
    from rich.text import Text

    from ..core.visible import visible
    from .fit import FitTable

    rows = []
    for lr in m["learners"]:
        weakest = (
            "-"
            if lr["weakest"] is None
            else (f"{'topic' if lr['weakest_kind'] == 'topic' else 'mistake'} {lr['weakest']}")
        )
        top = (
            "-"
            if lr["top_misconception"] is None
            else (f"{lr['top_misconception']} ({lr['top_misconception_made']}x)")
        )
        rows.append(
            [
                visible(lr["learner"], lines=False),
                str(lr["answers"]),
                _percent(lr["right"], lr["answers"]),
                _percent(lr["recent_right"], lr["recent_seen"]),
                weakest,
                top,
            ]
        )
    console.print(
        FitTable(
            [
                "learner",
                "answers",
                "right",
                "right in the last 10",
                "weakest spot",
                "mistake made most",
            ],
            rows,
            title="Learners",
            ascii=ascii,
        )
    )
    rows = [
        [
            _topic(t["topic"]),
            str(t["learners"]),
            str(t["answers"]),
            _percent(t["right"], t["answers"]),
        ]
        for t in m["topics"]
    ]
    console.print(
        FitTable(
            ["topic", "learners", "answers", "right"],
            rows,
            title="Topics, all learners",
            ascii=ascii,
        )
    )
    if m["misconceptions"]:
        rows = [
            [x["misconception"], str(x["made"]), str(x["learners"])] for x in m["misconceptions"]
        ]
        console.print(
            FitTable(
                ["mistake", "times made", "learners who made it"],
                rows,
                title="Mistakes, all learners",
                ascii=ascii,
            )
        )
    n = len(m["learners"])
    console.print(
        Text(f"{n} learner{'s' if n != 1 else ''}, {m['answers']} answers, {m['right']} right")
    )
