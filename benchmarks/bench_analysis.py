"""Throughput of answer analysis: find_mentions + rank_brands + candidate_names.

    .venv/bin/python benchmarks/bench_analysis.py [--answers 5000] [--repeat 5]

Generates realistic Claude-style answers (~300 words: headings, numbered lists with bold
names, markdown links, bare URLs, refusals, untracked competitors) for 8 tracked brands with
aliases, then analyses all of them per repetition and prints answers per second; the
median over the repetitions is printed last. Generation is seeded, so runs compare.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitoring.analysis import (  # noqa: E402
    BrandTerms,
    candidate_names,
    find_mentions,
    prose_of,
    rank_brands,
)

BRANDS = [
    BrandTerms(1, "HubSpot", ("HubSpot CRM", "HubSpot Sales Hub")),
    BrandTerms(2, "Salesforce", ("Sales Cloud", "SFDC")),
    BrandTerms(3, "Pipedrive", ("Pipedrive CRM",)),
    BrandTerms(4, "Zoho CRM", ("Zoho", "Bigin")),
    BrandTerms(5, "Monday.com", ("Monday CRM", "Monday")),
    BrandTerms(6, "Notion", ("Notion AI",)),
    BrandTerms(7, "Close", ("Close CRM", "Close.com")),
    BrandTerms(8, "Acme CRM", ("Acme",)),
]
UNTRACKED = ["Freshsales", "ActiveCampaign", "Zendesk Sell", "Copper", "Nutshell", "Insightly"]
DOMAINS = ["hubspot.com", "salesforce.com", "pipedrive.com", "zoho.com", "g2.com"]
FILLER_TEXT = (
    "teams often weigh ease of use against depth of reporting and the cost per seat grows "
    "quickly once automation and forecasting features are needed by a growing sales team "
    "so it is worth starting with a free trial and checking integrations with email and "
    "calendar tools before committing to an annual plan"
)
FILLER = FILLER_TEXT.split()


def sentence(rng: random.Random, names: list[str]) -> str:
    words = rng.sample(FILLER, rng.randint(8, 16))
    words.insert(rng.randint(0, len(words)), rng.choice(names))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def answer(rng: random.Random) -> str:
    tracked = [rng.choice(b.terms()) for b in rng.sample(BRANDS, rng.randint(2, 6))]
    names = tracked + rng.sample(UNTRACKED, rng.randint(1, 3))
    parts = ["## Best CRM Options for Small Businesses", sentence(rng, names)]
    for number, name in enumerate(names, start=1):
        domain = rng.choice(DOMAINS)
        parts.append(
            f"{number}. **{name}** – {sentence(rng, names)} "
            f"See [{name}](https://www.{domain}/pricing) or https://{domain}/blog/{number}."
        )
        parts.append(f"   - **Pricing:** {sentence(rng, names)}")
    if rng.random() < 0.2:
        parts.append("I couldn't find information about Acme CRM, but HubSpot is popular.")
    parts.append("## Conclusion")
    parts.extend(sentence(rng, names) for _ in range(3))
    return "\n".join(parts)


def analyse(answers: list[str], known_terms: list[str]) -> int:
    total = 0
    for text in answers:
        prose = prose_of(text)  # as services.analysis does: shared by both
        matches = find_mentions(text, BRANDS, prose=prose)
        total += len(rank_brands(matches)) + len(candidate_names(text, known_terms, prose=prose))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(20250724)
    answers = [answer(rng) for _ in range(args.answers)]
    words = statistics.mean(len(text.split()) for text in answers)
    known_terms = [term for brand in BRANDS for term in brand.terms()]
    print(f"{len(answers)} answers, {words:.0f} words on average, {len(BRANDS)} brands")

    rates = []
    for run in range(1, args.repeat + 1):
        started = time.perf_counter()
        analyse(answers, known_terms)
        elapsed = time.perf_counter() - started
        rates.append(len(answers) / elapsed)
        print(f"run {run}: {elapsed:.2f} s, {rates[-1]:,.0f} answers/s")
    print(f"median: {statistics.median(rates):,.0f} answers/s")


if __name__ == "__main__":
    main()
