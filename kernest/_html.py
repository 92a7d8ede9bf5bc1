"""One small HTML table renderer for notebooks (``_repr_html_`` of summaries, diffs and check reports).

Pure functions of their arguments; every cell is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, caption: str = "",
               right: Sequence[int] = (), indent: Sequence[int] = (), footer: Sequence[str] = ()) -> str:
    """An HTML ``<table>``: ``right`` are the column numbers to right-align, ``indent`` the nesting depth
    of each row's first cell (0 for none), ``footer`` lines of text under the table.

    Example:
        >>> html = html_table(["Path", "Params"], [["head", "10"]], caption="tiny", right=[1])
        >>> '<td style="text-align:right">10</td>' in html, html.startswith("<table><caption")
        (True, True)
    """
    def cell(tag: str, text: str, col: int, depth: int = 0) -> str:
        styles = ["text-align:right" if col in right else "text-align:left"]
        if col == 0 and depth:
            styles.append(f"padding-left:{depth * 1.2:.1f}em")
        return f'<{tag} style="{";".join(styles)}">{escape(text)}</{tag}>'

    out = ["<table>"]
    if caption:
        out.append(f'<caption style="text-align:left"><b>{escape(caption)}</b></caption>')
    out.append("<thead><tr>" + "".join(cell("th", h, i) for i, h in enumerate(header)) + "</tr></thead><tbody>")
    for n, row in enumerate(rows):
        depth = indent[n] if n < len(indent) else 0
        out.append("<tr>" + "".join(cell("td", c, i, depth) for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    out += [f"<p>{escape(line)}</p>" for line in footer]
    return "".join(out)
