"""Answer analysis: mentions, ranks, untracked names, citation domains and statistics.

Pure Python (no Django import) so services, jobs, the sandbox and benchmarks can use it.
"""

from monitoring.analysis.domains import domain_matches, normalize_domain
from monitoring.analysis.matching import (
    BrandTerms,
    Match,
    find_mentions,
    first_positions,
    is_informative,
    mention_counts,
    rank_brands,
)
from monitoring.analysis.prose import Prose, prose_of
from monitoring.analysis.stats import (
    change_is_significant,
    mean_position,
    proportion,
    share_of_voice,
    wilson_interval,
)
from monitoring.analysis.untracked import candidate_names

__all__ = [
    "BrandTerms",
    "Match",
    "Prose",
    "candidate_names",
    "change_is_significant",
    "domain_matches",
    "find_mentions",
    "first_positions",
    "is_informative",
    "mean_position",
    "mention_counts",
    "normalize_domain",
    "proportion",
    "prose_of",
    "rank_brands",
    "share_of_voice",
    "wilson_interval",
]
