"""How each family's answers read: their wording, layout, citations and fan-out queries.

The answer skeleton (which brands, in which order, which sources) is built in ``answers``
from one seeded generator; a ``Style`` only dresses it, so every family stays deterministic
per (seed, prompt). Claude's style is the sandbox's original one, kept word for word. The
citation shapes follow the official client's ``AnnotationInfo`` (docs/engines.md §3): Gemini
cites through a Vertex AI redirect with the source in ``direct_url``; Perplexity numbers its
sources in the text (``[1]``) in the order of the annotations.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GEMINI_REDIRECT = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/"
#: ChatGPT's search tags the links it cites (as its answers do).
CHAT_GPT_UTM = "?utm_source=openai"

SEARCHES = (
    "best {label} software {year}",
    "{a} vs {b}",
    "{label} tools pricing comparison",
    "{a} reviews",
    "top {label} platforms for small business",
)


def _claude_line(i: int, brand: dict[str, Any], linked: bool, markers: str) -> str:
    name = f"**{brand['name']}**"
    if linked:
        name = f"**[{brand['name']}](https://{brand['domain']}/)**"
    return f"{i}. {name} – {brand['blurb']}.\n"


def _chat_gpt_line(i: int, brand: dict[str, Any], linked: bool, markers: str) -> str:
    name = f"[{brand['name']}](https://{brand['domain']}/)" if linked else brand["name"]
    return f"### {i}. {name}\n- **Why it stands out:** {brand['blurb']}.\n\n"


def _gemini_line(i: int, brand: dict[str, Any], linked: bool, markers: str) -> str:
    return f"**{brand['name']}**: {brand['blurb'][:1].upper()}{brand['blurb'][1:]}.\n\n"


def _perplexity_line(i: int, brand: dict[str, Any], linked: bool, markers: str) -> str:
    return f"- **{brand['name']}**: {brand['blurb']}{markers}.\n"


def _same(cite: dict[str, Any]) -> dict[str, Any]:
    return cite


def _chat_gpt_cite(cite: dict[str, Any]) -> dict[str, Any]:
    return {**cite, "url": cite["url"] + CHAT_GPT_UTM}


def _gemini_cite(cite: dict[str, Any]) -> dict[str, Any]:
    """Gemini titles a source by its domain and links it through a Vertex AI redirect."""
    token = hashlib.sha256(cite["url"].encode()).hexdigest()[:48]
    domain = cite["url"].split("/")[2]
    return {"title": domain, "url": GEMINI_REDIRECT + token, "direct_url": cite["url"]}


def _strings(rng: random.Random, queries: list[str]) -> list[str] | None:
    return queries


def _perplexity_fan_out(rng: random.Random, queries: list[str]) -> list[str] | None:
    # Typed ``Any`` by the client (docs/engines.md §3): sometimes absent, sometimes a list.
    return rng.choice([None, queries])


@dataclass(frozen=True)
class Style:
    intros: tuple[str, ...]
    closings: tuple[str, ...]
    generic: str
    refusal: str
    thought: str  # the reasoning summary, with {topic}
    line: Callable[[int, dict[str, Any], bool, str], str]
    cite: Callable[[dict[str, Any]], dict[str, Any]] = _same
    fan_out: Callable[[random.Random, list[str]], list[str] | None] = _strings
    markers: bool = False  # numbered citation markers ([1]) in the text
    always_searches: bool = False  # no web_search switch: the model searches anyway
    reasoning_section: str = "text"  # the section type of a reasoning item
    reasoning_annotations: bool = False  # Claude's reasoning sections carry annotations: null
    intro_end: str = "\n\n"
    closing_start: str = "\n"

    def reasoning_item(self, text: str) -> dict[str, Any]:
        """A ``reasoning`` item as the client types it; Claude's keeps its original shape."""
        section: dict[str, Any] = {"type": self.reasoning_section, "text": text}
        if self.reasoning_annotations:
            section["annotations"] = None
        return {"type": "reasoning", "sections": [section]}


CLAUDE = Style(
    intros=(
        "Here are some of the most widely used {label} tools right now:",
        "It depends on your team size and budget, but these {label} options come up most often:",
        "Good question! For {label}, I'd look at the following:",
        "There's no single best choice, but these {label} platforms are strong contenders:",
    ),
    closings=(
        "If you're just getting started, {a} is the easiest to set up; larger teams often "
        "prefer {b}.",
        "My pick for most small businesses would be {a}, but {b} is worth a trial too.",
        "Try the free tiers of {a} and {b} before committing.",
        "Ultimately, the right choice depends on your workflow, integrations and budget.",
    ),
    generic=(
        "Here's a general way to approach this:\n\n"
        "1. **Write down your requirements** – must-haves, nice-to-haves and budget.\n"
        "2. **Shortlist a few options** from recent reviews and peer recommendations.\n"
        "3. **Run a short trial** with real work before you commit.\n\n"
        "If you tell me more about your use case, I can suggest specific products."
    ),
    refusal=(
        "I couldn't find information about {subject}. Could you share more details, such as "
        "the company's website or the product category?"
    ),
    thought=(
        "The user is asking about {topic}. I should compare the main options on price, "
        "ease of use and integrations, then give a balanced recommendation."
    ),
    line=_claude_line,
    reasoning_annotations=True,
)

CHAT_GPT = Style(
    intros=(
        "## Top {label} tools to consider",
        "## The best {label} options right now",
        "## {Label}: a quick shortlist",
    ),
    closings=(
        "## Bottom line\n- **Easiest start:** {a}\n- **Room to grow:** {b}",
        "## My recommendation\n- Start with **{a}**; compare it with **{b}** on a free trial.",
        "## How to choose\n- Match integrations and budget first; **{a}** and **{b}** both "
        "offer trials.",
    ),
    generic=(
        "## How to choose\n\n"
        "- **List your needs:** must-haves, nice-to-haves and budget.\n"
        "- **Compare a few options:** recent reviews and peers' picks.\n"
        "- **Trial before buying:** test with real work.\n\n"
        "Tell me more about your use case and I'll suggest specific products."
    ),
    refusal=(
        "I'm not aware of {subject}. It may be new, niche or spelled differently. Could you "
        "share a link or tell me what it does?"
    ),
    thought=(
        "**Comparing {topic}**\n\nI need to weigh pricing, ease of use and integrations, and "
        "then recommend a shortlist with a clear default pick."
    ),
    line=_chat_gpt_line,
    cite=_chat_gpt_cite,
    reasoning_section="summary_text",
)

GEMINI = Style(
    intros=(
        "Choosing a {label} tool comes down to your team and budget. These are the ones most "
        "people compare.",
        "There are many {label} options, but a few stand out.",
    ),
    closings=(
        "**In short:** start with **{a}** if you want something simple; look at **{b}** as "
        "you grow.",
        "**Tip:** most of these offer free trials, so try **{a}** and **{b}** side by side.",
    ),
    generic=(
        "**Start with your needs.** Write down what you must have and what you can spend.\n\n"
        "**Compare a few options.** Recent reviews and peers' picks are a good start.\n\n"
        "**Try before you buy.** A short trial with real work tells you the most.\n\n"
        "If you tell me your use case, I can suggest specific products."
    ),
    refusal=(
        "I don't have enough information about {subject} to answer that. If you can share its "
        "website or what it offers, I can help you look into it."
    ),
    thought=(
        "Thinking about {topic}: list the leading options, then contrast their pricing, "
        "ease of use and integrations before suggesting one."
    ),
    line=_gemini_line,
    cite=_gemini_cite,
)

PERPLEXITY = Style(
    intros=(
        "Several {label} tools are consistently recommended for small teams:",
        "Based on current reviews, the leading {label} options are:",
    ),
    closings=(
        "For most small businesses, {a} is the common starting point, while {b} suits "
        "teams that need more depth.",
        "Reviewers most often pick {a} for ease of use and {b} for flexibility.",
    ),
    generic=(
        "There is no single answer, but a common approach is to list your requirements, "
        "shortlist options from recent reviews and run a short trial before committing."
    ),
    refusal=(
        "I could not find reliable sources about {subject}. The search results do not "
        "mention it; it may be too new or too niche to be covered."
    ),
    thought=(
        "Searching for {topic}, then summarising what the sources agree on about price, "
        "ease of use and integrations."
    ),
    line=_perplexity_line,
    fan_out=_perplexity_fan_out,
    markers=True,
    always_searches=True,
    intro_end="\n",
)

STYLES: dict[str, Style] = {
    "claude": CLAUDE,
    "chat_gpt": CHAT_GPT,
    "gemini": GEMINI,
    "perplexity": PERPLEXITY,
}


def style_for(family: str) -> Style:
    """A family's style (Claude's for a family the sandbox does not know)."""
    return STYLES.get(family, CLAUDE)
