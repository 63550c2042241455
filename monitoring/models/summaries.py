"""The dashboard's summaries: its counts per block of days, kept from the raw rows.

A summary row holds what the dashboard adds up (answers, brands named, citations, domains,
terms) for one block of days under one combination of the filters' columns (prompt and
wording, monitor, engine, model, web search). Blocks are a day or 7, 28 or 112 days
aligned on a Monday (``EPOCH``), so any period is a few dozen blocks
whatever the history's size, and a chart's week is one block. Rows with no prompt sum
every prompt: a view without a prompt or tag filter reads those, a few rows a block.

The rows are derived data: ``services.summaries`` rebuilds a day (and the blocks holding it)
from the answers, mentions and citations whenever ``SummaryStale`` marks it, and nothing
else writes them. Each count adds up across blocks exactly (an answer lies in one day), so
a period's number is the sum of its blocks' and equals the count over the raw rows.
"""

from datetime import date, timedelta

from django.db import models

from monitoring.models.money import money_field
from monitoring.models.requests import engine_field

#: A Monday: blocks of 7, 28 and 112 days start on it and every so many days after, so a
#: week of the charts is one block and each block is made of whole blocks of the span below.
EPOCH = date(2001, 1, 1)
SPANS = (112, 28, 7, 1)


def block_start(day: date, span: int) -> date:
    """The first day of the ``span``-day block holding ``day``."""
    return day - timedelta(days=(day - EPOCH).days % span)


def blocks_cover(start: date, end: date, *, longest: int = SPANS[0]) -> list[tuple[date, int]]:
    """Few blocks (first day, span) that exactly cover ``start``..``end`` (both
    included), none longer than ``longest`` days: each the longest that starts there and
    ends in time."""
    blocks, day = [], start
    while day <= end:
        span = next(
            s
            for s in SPANS
            if s <= longest and block_start(day, s) == day and day + timedelta(days=s - 1) <= end
        )
        blocks.append((day, span))
        day += timedelta(days=span)
    return blocks


class SummaryKey(models.Model):
    """The block and the filters' columns a summary row counts under."""

    workspace = models.ForeignKey(
        "monitoring.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    #: The block's first day, and its length in days (1, 7, 28 or 112).
    day = models.DateField()
    span = models.PositiveSmallIntegerField()
    #: None: every prompt (then the wording is None too).
    prompt = models.ForeignKey(
        "monitoring.Prompt", null=True, on_delete=models.CASCADE, related_name="+"
    )
    prompt_version = models.ForeignKey(
        "monitoring.PromptVersion", null=True, on_delete=models.CASCADE, related_name="+"
    )
    monitor = models.ForeignKey(
        "monitoring.Monitor", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    engine = engine_field()
    model_name = models.CharField(max_length=100)
    web_search = models.BooleanField()

    #: The key's columns, as ``services.summaries`` groups and copies them.
    KEY = ("workspace", "prompt", "prompt_version", "monitor", "engine", "model_name", "web_search")
    #: Further key columns of a kind of row (its brand, domain, term...).
    EXTRA_KEY: tuple[str, ...] = ()
    #: Counts added up across blocks; then the columns taken at their MIN and MAX.
    SUMS: tuple[str, ...] = ()
    MINS: tuple[str, ...] = ()
    MAXES: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.day} +{self.span}d"


def _indexes(name: str) -> list[models.Index]:
    """The blocks' rows per prompt, and (a partial index) those summing every prompt: a
    view without a prompt filter reads those few rows without passing the others; and a
    prompt's (or a tag's prompts') own rows, without passing the other prompts'."""
    return [
        models.Index(fields=["workspace", "span", "day", "prompt"], name=name),
        models.Index(fields=["workspace", "prompt", "span", "day"], name=f"{name}_prompt"),
        models.Index(
            fields=["workspace", "span", "day"],
            condition=models.Q(prompt__isnull=True),
            name=f"{name}_all",
        ),
    ]


class AnswerSummary(SummaryKey):
    answers = models.PositiveIntegerField()
    #: Answers naming any company (``Answer.is_informative``).
    informative = models.PositiveIntegerField()
    #: Every citation of the answers, whoever owns the domain.
    citations = models.PositiveIntegerField()
    #: The earliest answer (engines: when a model first answered).
    first_at = models.DateTimeField()

    SUMS = ("answers", "informative", "citations")
    MINS = ("first_at",)

    class Meta:
        indexes = _indexes("answer_summary_block")


class BrandSummary(SummaryKey):
    brand = models.ForeignKey("monitoring.Brand", on_delete=models.CASCADE, related_name="+")
    #: Answers naming the brand; those naming it first; the sum of its ranks; its mentions.
    named = models.PositiveIntegerField()
    leading = models.PositiveIntegerField()
    rank_sum = models.PositiveIntegerField()
    occurrences = models.PositiveIntegerField()
    #: Citations of the brand's domains, and the answers with any.
    citations = models.PositiveIntegerField()
    cited_answers = models.PositiveIntegerField()

    EXTRA_KEY = ("brand",)
    SUMS = ("named", "leading", "rank_sum", "occurrences", "citations", "cited_answers")

    class Meta:
        indexes = [
            *_indexes("brand_summary_block"),
            # One brand's rows per prompt (the own brand's, compared with web search and
            # without), not every brand's.
            models.Index(fields=["workspace", "brand", "span", "day"], name="brand_summary_brand"),
        ]


class PairSummary(SummaryKey):
    """Answers led by ``leader`` that also name ``other``, an own brand: who wins where the
    own brand is absent is its answers led, less those also naming the own brand. (Only
    own brands as ``other``: a brand changed to own re-analyses, so re-marks, every answer.)"""

    leader = models.ForeignKey("monitoring.Brand", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("monitoring.Brand", on_delete=models.CASCADE, related_name="+")
    answers = models.PositiveIntegerField()

    EXTRA_KEY = ("leader", "other")
    SUMS = ("answers",)

    class Meta:
        indexes = _indexes("pair_summary_block")


class DomainSummary(SummaryKey):
    domain = models.CharField(max_length=253)
    #: The tracked brand owning the domain (the highest id, as the raw count takes it).
    brand = models.ForeignKey(
        "monitoring.Brand", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    citations = models.PositiveIntegerField()
    answers = models.PositiveIntegerField()

    EXTRA_KEY = ("domain",)
    SUMS = ("citations", "answers")
    MAXES = ("brand",)

    class Meta:
        indexes = _indexes("domain_summary_block")


class TermKind(models.TextChoices):
    FAN_OUT = "fan_out", "Fan-out query"
    UNTRACKED = "untracked", "Untracked name"


class TermSummary(SummaryKey):
    """A fan-out query or an untracked name: how often, in how many answers."""

    kind = models.CharField(max_length=10, choices=TermKind.choices)
    value = models.TextField()
    occurrences = models.PositiveIntegerField()
    answers = models.PositiveIntegerField()

    EXTRA_KEY = ("kind", "value")
    SUMS = ("occurrences", "answers")

    class Meta:
        indexes = _indexes("term_summary_block")


class TaskSummary(SummaryKey):
    """Tasks by the day they were created (failed ones too, which have no answer) and
    their status now, with what they cost; the model and web search are the request's."""

    status = models.CharField(max_length=20)
    tasks = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    expired = models.PositiveIntegerField()
    #: The ledger's columns summed (``selectors.costs.AMOUNTS``): prepaid, the model's
    #: charge, real, refunded (prepaid beyond real), extra (real beyond prepaid) and
    #: reserved (in flight, no real cost yet).
    prepaid = money_field()
    spent = money_field()
    real = money_field()
    refunded = money_field()
    extra = money_field()
    reserved = money_field()
    #: Tasks with a real cost, and with a model's charge: a sum over none is unknown.
    priced = models.PositiveIntegerField()
    charged = models.PositiveIntegerField()

    EXTRA_KEY = ("status",)
    SUMS = (
        *("tasks", "failed", "expired", "prepaid", "spent", "real", "refunded", "extra"),
        *("reserved", "priced", "charged"),
    )

    class Meta:
        indexes = _indexes("task_summary_block")


class SummaryStale(models.Model):
    """A day whose summaries no longer match its rows.

    Written by the changes themselves, in their transactions, so never locked or made
    unique: a change inserts a mark unless one is there already (a race leaves two,
    harmless), and never waits for another change or for a rebuild. A rebuild deletes the
    marks it read, so a mark a change committed meanwhile stays for the next one.
    """

    workspace = models.ForeignKey(
        "monitoring.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["workspace", "day"], name="stale_ws_day")]

    def __str__(self) -> str:
        return f"Stale {self.day}"


class WorkspaceVersion(models.Model):
    """A number that grows whenever something a workspace's dashboard shows may have
    changed: its summaries were rebuilt, or a brand or prompt was saved or deleted. The
    dashboard's rendered body is cached under it, so a change is never shown stale and an
    unchanged workspace is not computed twice.

    A row of its own, not a field of ``Workspace``: a form saving a workspace it read
    earlier would write an older number back.
    """

    workspace = models.OneToOneField(
        "monitoring.Workspace", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Version {self.number}"


SUMMARY_MODELS: tuple[type[SummaryKey], ...] = (
    AnswerSummary,
    BrandSummary,
    PairSummary,
    DomainSummary,
    TermSummary,
    TaskSummary,
)
