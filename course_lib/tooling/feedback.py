"""``course grade ... --feedback DIR``: one HTML page per learner, to hand back.

A page holds the score table (visible and hidden checks apart), what each visible check expected and
got, the hidden checks' results (their names and messages only with ``--publish-hidden``, once grades
are published), and the learner's own exercise code. Everything the learner wrote, and every message
that quotes it, is escaped: a page shows code, it never runs it. Flags for the instructor stay out.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

from .grading import ExerciseScore, NotebookGrade

STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2328; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
.meta { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th { background: #f6f8fa; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #59636e; }
.full { color: #1a7f37; } .part { color: #9a6700; } .none { color: #cf222e; }
ul.cases { list-style: none; padding-left: 0; } ul.cases li { margin: .2rem 0; }
.ok::before { content: "\\2713  "; color: #1a7f37; } .bad::before { content: "\\2717  "; color: #cf222e; }
.msg { color: #59636e; display: block; margin-left: 1.4rem; font-size: .92em; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; border-radius: 6px; font-size: 13px; }
.note { background: #fff8c5; padding: .5rem .8rem; border-radius: 6px; }
"""


def _mark(score: float, points: float) -> str:
    return "full" if points and score >= points else ("part" if score > 0 else "none")


def _cases(exercise: ExerciseScore, hidden: bool, publish_hidden: bool) -> str:
    cases = [c for c in exercise.cases if c.hidden == hidden]
    if not cases:
        return ""
    if hidden and not publish_hidden:
        passed = sum(c.passed for c in cases)
        return f"<p>Hidden checks: {passed} of {exercise.n_hidden} passed (what they test is shown once grades are published).</p>"
    items = "".join(
        f'<li class="{"ok" if c.passed else "bad"}">{html.escape(c.name)}'
        + ("" if c.passed else f'<span class="msg">{html.escape(c.message)}</span>') + "</li>"
        for c in cases)
    return f"<h3>{'Hidden' if hidden else 'Visible'} checks</h3><ul class=\"cases\">{items}</ul>"


def feedback_page(grade: NotebookGrade, publish_hidden: bool = False) -> str:
    """The learner's page: score table, per-case feedback, their code."""
    who = html.escape(grade.learner or Path(grade.notebook).stem)
    rows = []
    for e in grade.exercises:
        (visible, visible_max), (hidden, hidden_max) = e.split()
        hidden_cell = f"{hidden:g} / {hidden_max:g}" if e.n_hidden else "-"
        rows.append(f'<tr class="{_mark(e.score, e.points)}"><td>{html.escape(e.id)}</td><td>{html.escape(e.name)}</td>'
                    f'<td class="num">{visible:g} / {visible_max:g}</td><td class="num">{hidden_cell}</td>'
                    f'<td class="num">{e.score:g}</td><td class="num">{e.points:g}</td></tr>')
    rows.append(f'<tr class="total"><td></td><td>total</td><td></td><td></td><td class="num">{grade.score:g}</td>'
                f'<td class="num">{grade.max_score:g}</td></tr>')
    table = ('<table id="scores"><thead><tr><th>exercise</th><th>answer</th><th class="num">visible checks</th>'
             '<th class="num">hidden checks</th><th class="num">score</th><th class="num">points</th></tr></thead>'
             f"<tbody>{''.join(rows)}</tbody></table>")
    sections = []
    for e in grade.exercises:
        notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in e.notes)
        code = f"<h3>Your code</h3><pre><code>{html.escape(e.code)}</code></pre>" if e.code.strip() else ""
        sections.append(f'<section id="exercise-{html.escape(e.id)}"><h2>Exercise {html.escape(e.id)}: {html.escape(e.name)} '
                        f'({e.score:g} of {e.points:g})</h2>{notes}{_cases(e, False, publish_hidden)}'
                        f"{_cases(e, True, publish_hidden)}{code}</section>")
    error = f'<p class="note">{html.escape(grade.error)}</p>' if grade.error else ""
    chapter = f"chapter {html.escape(grade.chapter)}, " if grade.chapter else ""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>Feedback: {who}</title><style>{STYLE}</style></head><body>"
            f"<h1>Feedback for {who}</h1><p class=\"meta\">{chapter}{html.escape(Path(grade.notebook).name)}: "
            f"<strong id=\"total\">{grade.score:g} of {grade.max_score:g} points</strong></p>{error}{table}{''.join(sections)}"
            "</body></html>\n")


def write_feedback(grades: Sequence[NotebookGrade], folder: Path, names: Sequence[str], publish_hidden: bool = False) -> list[Path]:
    """``folder/<name>.html`` for each grade; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for grade, name in zip(grades, names):
        path = folder / f"{name}.html"
        path.write_text(feedback_page(grade, publish_hidden), encoding="utf-8")
        paths.append(path)
    return paths
