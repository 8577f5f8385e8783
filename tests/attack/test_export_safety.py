"""An exported Markdown walkthrough renders what the program says as text, never as markup
(issue 14): a comment cannot break out of its code fence with \\r, U+2028 or backticks, and
links, images and tags in comments or names stay text."""

import subprocess
import sys

import pytest
from markdown_it import MarkdownIt

ATTACKS = [
    "# note\r```\r<img src=x onerror=alert(1)>",
    "# note\u2028```\u2028<script>alert(1)</script>",
    "# note\u2029````````\u2029<img src=x onerror=alert(1)>",
    "# [click](http://evil.example) ![i](http://evil.example/i.png) <b>bold</b>",
    "# ``` \x85<img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("comment", ATTACKS)
def test_a_comment_stays_text_in_the_exported_markdown(tmp_path, comment):
    program = tmp_path / "p.grad"
    program.write_text(f"x = a*b  {comment}\nf = x + 1\n", encoding="utf-8")
    out = tmp_path / "walk.md"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradcli",
            "explain",
            "-f",
            str(program),
            "--a",
            "2",
            "--b",
            "3",
            "--export",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    html = MarkdownIt("commonmark").render(out.read_text(encoding="utf-8"))
    for tag in ("<img", "<script", "<a ", "<b>"):
        assert tag not in html, f"{tag} rendered live"
    assert "onerror" not in html or "&lt;img" in html


def test_the_program_heading_and_prose_escape_markdown(tmp_path):
    out = tmp_path / "walk.md"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradcli",
            "explain",
            "a*b*c",
            "--a",
            "2",
            "--b",
            "3",
            "--c",
            "4",
            "--export",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    html = MarkdownIt("commonmark").render(out.read_text(encoding="utf-8"))
    assert "<em>" not in html  # a*b*c is not italics
    assert "a*b*c" in html
