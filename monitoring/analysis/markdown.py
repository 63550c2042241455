"""Answers are Markdown: render them as safe HTML with the brand spans highlighted.

markdown-it-py parses (CommonMark plus tables; raw HTML off, so HTML in an answer is shown
as the text it is). The brand spans, offsets into the answer text from the matcher, become
``<mark>`` tokens around pieces of the parser's text tokens, so a highlight sits inside one
run of text: inside bold text, link text or a list item, never inside a tag, an attribute
or a link's href, and never across an element's boundary. nh3 then sanitises with an
allowlist, so whatever the parser or this module gets wrong, no script, event handler,
style attribute, image or non-web link reaches the page.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
from collections.abc import Callable, Iterable, Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

from monitoring.analysis.links import is_web_url

#: Answers longer than this are shown as escaped text (with their highlights) instead.
#: Answers are capped at 4,096 output tokens (about 16,000 characters), so only a broken
#: or hostile result gets here; it bounds the parser's time (a 50,000-character table of
#: cells renders in about half a second).
MAX_MARKDOWN_CHARS = 50_000

#: ``(start, end, brand id)``: characters ``start:end`` of the answer name the brand.
Span = tuple[int, int, int]

# The page's h1 and the answer's h2 sit above the answer: its headings start at h3, so the
# page keeps its own outline (h1 the page, h2 its sections) and headings never skip a level.
_FIRST_LEVEL = 3
_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "mark", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# "*": no generic attributes (nh3 would allow title and lang on every tag by default).
_ATTRIBUTES = {"*": set(), "a": {"href"}, "mark": {"class", "data-brand"}, "ol": {"start"}}
_ATTRIBUTE_RULES: dict[tuple[str, str], Callable[[str], object]] = {
    ("a", "href"): is_web_url,
    ("mark", "class"): re.compile(r"brand-\d+").fullmatch,
    ("mark", "data-brand"): re.compile(r"\d+").fullmatch,
    ("ol", "start"): re.compile(r"\d{1,9}").fullmatch,
}
_MAX_INLINE_DEPTH = 8
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# How far apart two characters of one text token may be in the source: room for an
# entity ("&ThickSpace;") or a backslash escape between them.
_GAP = 16


class _AnswerMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        """Only web URLs become links or images; anything else stays the text it was."""
        return is_web_url(url)


def _image_as_alt_text(self, tokens, idx, options, env) -> str:
    """An image becomes its alt text: a remote image would be a tracking pixel."""
    return escapeHtml(self.renderInlineAsText(tokens[idx].children, options, env))


def _parser() -> MarkdownIt:
    # "commonmark" sets maxNesting to 20: deeper lists, quotes or brackets stay text, so
    # neither the parser nor the sanitiser goes deep on a hostile answer (emphasis, which
    # the limit does not cover, is cut by _flattened).
    parser = _AnswerMarkdown("commonmark", {"html": False}).enable("table")
    parser.add_render_rule("image", _image_as_alt_text)
    return parser


_MD = _parser()


def answer_html(text: str, spans: Iterable[Span] = ()) -> str:
    """The answer as sanitised HTML, each brand span wrapped in ``<mark>``."""
    kept = normal_spans(spans, length=len(text))
    if len(text) > MAX_MARKDOWN_CHARS:
        return _sanitise(_plain_html(text, kept))
    tokens = _MD.parse(text)
    _shape_blocks(tokens)
    if kept:
        _mark_spans(tokens, text, kept)
    return _sanitise(_MD.renderer.render(tokens, _MD.options, {}))


def normal_spans(spans: Iterable[Span], *, length: int | None = None) -> list[Span]:
    """The spans sorted, empty and overlapping ones dropped (and, given the text's length,
    those past its end: spans of an older text mark nothing rather than the wrong words).

    Matching never produces overlapping spans, but an alias edit between analyses could;
    the earlier (then longer) span wins so the markup always nests.
    """
    kept: list[Span] = []
    for start, end, brand in sorted(spans, key=lambda s: (s[0], -s[1])):
        if length is not None and end > length:
            continue
        if start < end and (not kept or start >= kept[-1][1]):
            kept.append((start, end, brand))
    return kept


def answer_plain_text(text: str) -> str:
    """The words of the answer without its Markdown, whitespace collapsed."""
    pieces = []
    for token in _MD.parse(text):
        if token.type == "inline":
            pieces.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            pieces.append(token.content)
    return " ".join(" ".join(pieces).split())


def answer_excerpt(text: str, *, length: int = 200, near: Sequence[str] = ()) -> str:
    """About ``length`` characters of plain text: the start, or around the first of ``near``.

    Only a window of the answer is parsed, so a long answer costs no more than a short one.
    """
    start = _excerpt_start(text, near, length)
    end = start + 8 * length
    plain = answer_plain_text(text[start:end])
    cut = len(plain) > length
    if cut:
        plain = plain[:length]
        space = plain.rfind(" ")
        plain = plain[:space] if space > length // 2 else plain
    ellipsis = "…" if cut or end < len(text) else ""
    return ("…" if start else "") + plain.rstrip() + ellipsis


def _excerpt_start(text: str, near: Sequence[str], length: int) -> int:
    """Where the excerpt starts: a word boundary a little before the first searched word."""
    terms = [term for term in near if term]
    if not terms:
        return 0
    found = re.search("|".join(map(re.escape, terms)), text, re.IGNORECASE)
    if not found or found.start() <= length // 3:
        return 0
    start = found.start() - length // 3
    space = re.compile(r"\s").search(text, start, found.start())
    return space.end() if space else found.start()


def _inline_text(children: Sequence[Token]) -> str:
    words = []
    for child in children:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
        elif child.type == "image":
            words.append(_inline_text(child.children or []))
    return "".join(words)


def _shape_blocks(tokens: list[Token]) -> None:
    """Lower the answer's headings under the page's; drop table alignments (style
    attributes, which the page's Content-Security-Policy refuses)."""
    level = _FIRST_LEVEL - 1
    for token in tokens:
        if token.type == "heading_open":
            level = min(int(token.tag[1]) + _FIRST_LEVEL - 1, level + 1, 6)
            token.tag = f"h{level}"
        elif token.type == "heading_close":
            token.tag = f"h{level}"
        elif token.type in ("th_open", "td_open"):
            token.attrs.pop("style", None)
        elif token.type == "inline" and token.children:
            token.children = _flattened(token.children)


def _flattened(children: list[Token]) -> list[Token]:
    """Emphasis nested deeper than a few levels stays text ("****"): the parser's nesting
    limit covers blocks and links, not emphasis, which would nest thousands deep."""
    out, kept, depth = [], [], 0
    for child in children:
        if child.nesting == 1:
            kept.append(depth < _MAX_INLINE_DEPTH)
            depth += kept[-1]
        keep = kept[-1] if kept else True
        if child.nesting == -1 and kept:
            depth -= kept.pop()
        if not keep and child.nesting != 0:
            child = Token("text", "", 0, content=child.markup)
        out.append(child)
    return out


def _mark_spans(tokens: list[Token], text: str, spans: list[Span]) -> None:
    """Wrap the spans' characters of every text token in ``<mark>`` tokens.

    Each block's inline token knows its source lines; inside it, a text token is found in
    the source from where the previous one ended, so its characters get their offsets.
    """
    lines = [0] + [match.end() for match in _LINE_BREAK.finditer(text)] + [len(text)]
    starts = [span[0] for span in spans]
    cursor = 0  # carried on: the cells of a table row share their line
    for token in tokens:
        if token.type != "inline" or not token.children or not token.map:
            continue
        first, last = token.map[0], min(token.map[1], len(lines) - 1)
        cursor = max(cursor, lines[first])
        token.children, cursor = _marked(token.children, text, cursor, lines[last], spans, starts)


def _marked(children, text, cursor, end, spans, starts) -> tuple[list[Token], int]:
    out: list[Token] = []
    for child in children:
        if child.type == "code_inline":  # not highlighted, but the text after it is
            found = text.find(child.content, cursor, end)
            cursor = found + len(child.content) if found >= 0 else cursor
        if child.type != "text" or not child.content:
            out.append(child)
            continue
        offsets, cursor = _offsets(child.content, text, cursor, end)
        brands = [_brand_at(offset, spans, starts) for offset in offsets]
        for brand, chars in itertools.groupby(zip(brands, child.content, strict=True), key=_first):
            out.extend(_pieces("".join(char for _, char in chars), brand))
    return out, cursor


def _offsets(content: str, text: str, cursor: int, end: int) -> tuple[list, int]:
    """Where each character of a text token is in the source, and where the token ends.

    Most text tokens are verbatim source. An entity or a backslash escape changes a few
    characters: those are found one by one, each near the last; one not found is None.
    """
    found = text.find(content, cursor, end)
    if found >= 0:
        return list(range(found, found + len(content))), found + len(content)
    offsets: list[int | None] = []
    for char in content:
        limit = end if not offsets else min(end, cursor + _GAP)
        position = text.find(char, cursor, limit)
        offsets.append(position if position >= 0 else None)
        cursor = position + 1 if position >= 0 else cursor
    return offsets, cursor


def _brand_at(offset: int | None, spans: list[Span], starts: list[int]) -> int | None:
    if offset is None:
        return None
    index = bisect.bisect_right(starts, offset) - 1
    if index >= 0 and offset < spans[index][1]:
        return spans[index][2]
    return None


def _first(pair):
    return pair[0]


def _pieces(content: str, brand: int | None) -> list[Token]:
    piece = Token("text", "", 0, content=content)
    if brand is None:
        return [piece]
    return [Token("html_inline", "", 0, content=_mark_open(brand)), piece, _MARK_CLOSE]


def _mark_open(brand: int) -> str:
    return f'<mark class="brand-{int(brand)}" data-brand="{int(brand)}">'


_MARK_CLOSE = Token("html_inline", "", 0, content="</mark>")


def _plain_html(text: str, spans: list[Span]) -> str:
    """An answer too long to format: escaped text, its line breaks kept, spans marked."""
    parts, cursor = [], 0
    for start, end, brand in spans:
        parts.append(html.escape(text[cursor:start]))
        parts.append(f"{_mark_open(brand)}{html.escape(text[start:end])}</mark>")
        cursor = end
    parts.append(html.escape(text[cursor:]))
    return "<p>" + _LINE_BREAK.sub("<br>", "".join(parts)) + "</p>"


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """The allowed attributes' values checked (rel and target are nh3's own)."""
    rule = _ATTRIBUTE_RULES.get((tag, attribute))
    return value if rule is None or rule(value) else None


def _sanitise(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
