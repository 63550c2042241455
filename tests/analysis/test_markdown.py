"""Answers as Markdown: rendered, sanitised, brand spans highlighted, hostile input harmless."""

from html.parser import HTMLParser

import pytest

from monitoring.analysis.links import is_web_url
from monitoring.analysis.markdown import (
    MAX_MARKDOWN_CHARS,
    answer_excerpt,
    answer_html,
    answer_plain_text,
)

VOID = {"br", "hr"}


class _Tree(HTMLParser):
    """Every element as (tag, attrs, ancestors); fails on a tag closed out of order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict, tuple[str, ...]]] = []
        self.stack: list[str] = []
        self.text: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), tuple(self.stack)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append((data, tuple(self.stack)))


def tree(html: str) -> _Tree:
    parsed = _Tree()
    parsed.feed(html)
    parsed.close()
    assert parsed.stack == [], f"unclosed {parsed.stack}"
    return parsed


def marked_text(html: str) -> list[str]:
    return [data for data, ancestors in tree(html).text if ancestors and ancestors[-1] == "mark"]


# --- Markdown ------------------------------------------------------------------------------


def test_it_renders_the_markdown_an_answer_is_written_in():
    html = answer_html(
        "Intro with **HubSpot** and *Zoho*.\n\n- one\n- two\n\n1. first\n\n"
        "Use `crm --sync`:\n\n```\npip install x\n```\n\n> quoted\n\n---\n\n"
        "| Tool | Price |\n|---|---:|\n| Acme | $10 |\n\nline  \nbreak"
    )
    tags = [tag for tag, _, _ in tree(html).elements]
    assert "<strong>HubSpot</strong>" in html
    assert "<em>Zoho</em>" in html
    for tag in ("ul", "ol", "li", "code", "pre", "blockquote", "hr", "table", "thead"):
        assert tag in tags
    for tag in ("tbody", "tr", "th", "td", "br"):
        assert tag in tags
    assert "style" not in html  # the table's alignment would be a style attribute


def test_links_are_web_links_that_open_apart_from_the_site():
    html = answer_html(
        "See [Salesforce](https://salesforce.com/crm?a=1&b=2) or <https://zoho.com>."
    )
    links = [attrs for tag, attrs, _ in tree(html).elements if tag == "a"]
    assert [a["href"] for a in links] == ["https://salesforce.com/crm?a=1&b=2", "https://zoho.com"]
    for attrs in links:
        assert attrs["rel"] == "noopener noreferrer nofollow"
        assert attrs["target"] == "_blank"
        assert set(attrs) == {"href", "rel", "target"}


def test_headings_sit_under_the_pages_own_and_never_skip_a_level():
    # The page has its h1 and an h2 above the answer: the answer's levels start at h3,
    # and none is more than one below the heading before it.
    html = answer_html("## Best\n\n#### Detail\n\n# Top\n\n###### Deep\n\ntext")
    levels = [tag for tag, _, _ in tree(html).elements if tag.startswith("h")]
    assert levels == ["h3", "h4", "h3", "h4"]
    assert "<h3>Best</h3>" in html


# --- Highlights ----------------------------------------------------------------------------

TEXT = "**HubSpot** beats [Salesforce](https://salesforce.com).\n\n- Zoho CRM\n- and HubSpot"


def _span(text: str, term: str, brand: int, nth: int = 0) -> tuple[int, int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(term, start + 1)
    return (start, start + len(term), brand)


def test_a_brand_is_highlighted_in_bold_text_link_text_and_list_items():
    spans = [
        _span(TEXT, "HubSpot", 1),
        _span(TEXT, "Salesforce", 2),
        _span(TEXT, "Zoho", 3),
        _span(TEXT, "HubSpot", 1, nth=1),
    ]
    html = answer_html(TEXT, spans)
    assert '<strong><mark class="brand-1" data-brand="1">HubSpot</mark></strong>' in html
    assert '<mark class="brand-2" data-brand="2">Salesforce</mark></a>' in html
    assert 'href="https://salesforce.com"' in html  # the mark never reaches the href
    found = [(data, ancestors) for data, ancestors in tree(html).text if "mark" in ancestors]
    assert [data for data, _ in found] == ["HubSpot", "Salesforce", "Zoho", "HubSpot"]
    assert "strong" in found[0][1]
    assert "a" in found[1][1]
    assert "li" in found[2][1]
    assert "li" in found[3][1]


def test_a_span_across_markup_is_marked_piece_by_piece_and_nests():
    text = "Acme **Corp** wins"
    html = answer_html(text, [(0, 12, 7)])  # "Acme **Corp**"
    assert marked_text(html) == ["Acme ", "Corp"]
    assert "wins" not in "".join(marked_text(html))


def test_spans_still_land_after_entities_escapes_and_windows_line_ends():
    text = "Tom &amp; Acme\r\n\r\n\\*Beta\\* and \\[Gamma]"
    spans = [_span(text, "Acme", 1), _span(text, "Beta", 2), _span(text, "Gamma", 3)]
    html = answer_html(text, spans)
    assert marked_text(html) == ["Acme", "Beta", "Gamma"]
    assert "Tom &amp; " in html
    shown = "".join(data for data, _ in tree(html).text)
    assert "*Beta* and [Gamma]" in shown  # the escaped characters are shown


def test_spans_outside_the_text_or_inside_a_url_mark_nothing():
    text = "[Docs](https://acme.com/acme) Acme"
    inside_url = _span(text, "acme", 1)
    html = answer_html(text, [inside_url, (len(text) - 4, len(text), 1), (40, 45, 2)])
    assert marked_text(html) == ["Acme"]
    assert 'href="https://acme.com/acme"' in html


def test_an_answer_too_long_to_format_is_escaped_text_with_its_highlights():
    text = "**Acme** <b>x</b> " + "word " * (MAX_MARKDOWN_CHARS // 5)
    html = answer_html(text, [(2, 6, 1)])
    assert "<strong>" not in html
    assert "&lt;b&gt;" in html
    assert '<mark class="brand-1" data-brand="1">Acme</mark>' in html


# --- Hostile answers -----------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<div onclick="alert(1)" style="position:fixed">raw block</div>\n\nafter',
    '<a href="javascript:alert(1)">raw link</a>',
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#09;script:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![pixel](https://tracker.example/p.gif)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "[x](/w/1/settings/)",
    "[x](//evil.example/x)",
    "[x][1]\n\n[1]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<mailto:a@example.com>",
    '[x](https://ok.example "t" onclick="alert(1)")',
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "<!-- <script>alert(1)</script> -->",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "Acme\x00<svg onload=alert(1)>",
]


def _assert_harmless(html: str) -> None:
    parsed = tree(html)
    for tag, attrs, _ in parsed.elements:
        assert tag not in {"script", "img", "iframe", "style", "svg", "div"}, html
        assert "style" not in attrs, html
        assert not [name for name in attrs if name.startswith("on")], html
        if tag == "a":
            assert is_web_url(attrs["href"]), html


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_answer_renders_as_harmless_text(text):
    html = answer_html(text, [(0, 4, 1)])
    _assert_harmless(html)
    assert "<script" not in html.lower()


def test_raw_html_is_shown_as_the_text_it_is():
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer_html("<script>alert(1)</script>")
    assert answer_html("![pixel](https://tracker.example/p.gif)").strip() == "<p>pixel</p>"


@pytest.mark.parametrize(
    "text",
    [
        "> " * 10_000 + "deep",
        ">" * 10_000 + " deep",
        "- " * 10_000 + "deep",
        "1. " * 10_000 + "deep",
        "\n".join("  " * i + "- deep" for i in range(2_000)),
        "*" * 10_000 + "deep" + "*" * 10_000,
        "[" * 10_000 + "deep" + "](https://a.example)" * 100,
    ],
)
def test_deep_nesting_is_cut_at_the_parsers_limit(text):
    html = answer_html(text, [(0, 4, 1)])
    parsed = tree(html)
    deepest = max((len(ancestors) for _, _, ancestors in parsed.elements), default=0)
    assert deepest <= 25  # markdown-it's maxNesting (20) and a few inline levels
    _assert_harmless(html)


def test_a_huge_table_is_rendered_and_sanitised():
    columns = 300
    header = "|" + "|".join(f"c{i}" for i in range(columns)) + "|\n"
    rule = "|" + "---|" * columns + "\n"
    row = "|" + "<img src=x onerror=alert(1)>|" * columns + "\n"
    text = header + rule + row * ((MAX_MARKDOWN_CHARS - 4_000) // len(row))
    html = answer_html(text)
    _assert_harmless(html)
    assert html.count("<th>") == columns


# --- Plain text, for the list's excerpts -------------------------------------------------


def test_plain_text_strips_the_markdown():
    text = "## Top\n\n**HubSpot** and [Salesforce](https://x.com).\n\n- a\n- `b`\n\n<b>raw</b>"
    assert answer_plain_text(text) == "Top HubSpot and Salesforce. a b <b>raw</b>"


def test_an_excerpt_is_short_and_shows_the_searched_words():
    text = "Intro. " * 100 + "Then **Zoho** wins."
    assert answer_excerpt("**Acme** wins", length=50) == "Acme wins"
    start = answer_excerpt(text, length=60)
    assert start.startswith("Intro. Intro.")
    assert start.endswith("…")
    assert len(start) <= 61
    near = answer_excerpt(text, length=60, near=["zoho"])
    assert "Zoho wins." in near
    assert near.startswith("…")
    assert "**" not in near


@pytest.mark.parametrize(
    ("url", "web"),
    [
        ("https://acme.com/a", True),
        ("HTTP://Example.org", True),
        ("javascript:alert(1)", False),
        (" https://acme.com", False),
        ("/relative", False),
        ("//evil.example", False),
        ("https://", False),
        ("https://[oops/", False),
    ],
)
def test_only_absolute_http_urls_with_a_host_are_web_urls(url, web):
    assert is_web_url(url) is web
