"""Capitalised words that are not company names, for ``untracked.candidate_names``.

Kept deliberately broad: a word missing here can surface as a false "untracked company",
while a product whose name is one of these words is only missed as a *suggestion* (it can
still be tracked by hand). Everything is lower case.
"""

from __future__ import annotations

_FUNCTION_WORDS = """
a an the and or nor but if then else so yet for of to in on at by with without from into onto
over under about above below across after before between through during within among around
against along beyond via per vs versus than as like unlike such this that these those there
here where when while which who whom whose what why how whether all any both each every few
many more most much some several other others another same own only just also even still
not no yes very too quite rather really i me my mine we us our ours you your yours he him his
she her hers it its they them their theirs i'm i'd i've i'll it's let's is are was were be been
being am do does did done have has had having can could may might must shall should will would
one two three four five six seven eight nine ten first second third fourth fifth next last
"""

_DISCOURSE = """
however additionally also overall ultimately finally furthermore moreover meanwhile instead
otherwise therefore thus hence consequently generally typically usually often sometimes
notably importantly specifically essentially basically honestly frankly personally
alternatively similarly likewise conversely nevertheless nonetheless regardless depending
although though because since unless until whereas whichever whatever whoever ideally
currently recently previously today tomorrow yesterday now soon later note tip tips example
examples summary conclusion verdict recommendation recommendations bottom line tl;dr tldr
sure great good yes okay ok absolutely certainly definitely here's there's what's that's
consider choose pick use try start look check compare ask think keep make get go see read
visit contact sign book schedule request learn explore review evaluate test look
"""

_HEADINGS = """
key features feature pricing price prices cost costs plan plans tier tiers option options
overview introduction comparison comparisons review reviews rating ratings pros cons
advantages disadvantages strengths weaknesses benefits drawbacks limitations considerations
alternatives alternative integrations integration support customer customers service
services best top leading popular recommended free paid premium pro plus basic standard
starter essentials professional enterprise ultimate advanced business team teams
personal growth scale small medium large mid-sized midsize startup startups company companies
tool tools software platform platforms solution solutions app apps product products
crm crms sales marketing analytics automation reporting pipeline pipelines lead leads contact
contacts deal deals email emails management manager project projects workflow workflows
ease setup onboarding security privacy compliance performance reliability scalability
value price-to-value user users interface mobile desktop web cloud online api apis ai
data dashboard dashboards report reports use case cases factors factor criteria step steps
why what how who which final thoughts questions answer answers budget budgets small-business
quick simple easy powerful affordable cheap expensive open source free-forever trial trials
month monthly year yearly annual annually seat seats per user/month billed
"""

_ACRONYMS = """
crm erp saas b2b b2c smb smbs roi kpi kpis seo sem ppc api apis ui ux usd eur gbp faq faqs pdf
csv hr it llm llms gpt ml sso sla gdpr hipaa soc iso us usa uk eu emea apac latam ceo cto cmo
vp svp diy q1 q2 q3 q4 n/a tbd etc e.g i.e
"""

_CALENDAR = """
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
saturday sunday spring summer autumn fall winter
"""

_PLACES = """
africa america americas antarctica asia australia europe oceania north south east west
central northern southern eastern western middle latin united states kingdom emirates
afghanistan albania algeria argentina armenia austria bangladesh belgium bolivia brazil
bulgaria cambodia canada chile china colombia croatia cuba cyprus czechia denmark ecuador
egypt estonia ethiopia finland france georgia germany ghana greece hungary iceland india
indonesia iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya korea kuwait
latvia lebanon lithuania luxembourg malaysia malta mexico morocco nepal netherlands
zealand nigeria norway pakistan panama peru philippines poland portugal qatar romania russia
saudi arabia serbia singapore slovakia slovenia spain sweden switzerland taiwan thailand
tunisia turkey ukraine uruguay venezuela vietnam london paris berlin tokyo york california
texas florida silicon valley
"""

_PEOPLE_AND_LANGUAGES = """
english spanish french german italian portuguese chinese japanese korean russian arabic
hindi dutch swedish american british european asian canadian australian indian
"""


def _words(*blocks: str) -> frozenset[str]:
    return frozenset(word for block in blocks for word in block.split())


_MORE_LABELS = """
customization customisation flexibility collaboration usability affordability
functionality accessibility availability visibility productivity efficiency forecasting
communication documentation training learning strength strengths weakness downside downsides
caveat caveats standout ideal bottom line takeaway takeaways highlights highlight content
operations commerce suite hub edition version budget-friendly user-friendly all-in-one
easy-to-use built-in add-on add-ons table chart figure option winner runner-up honorable
mention mentions bonus
"""

#: Words that merely open a sentence ("Consider Freshsales", "The Freshsales app"): they
#: are stripped from the front of a capitalised run and the rest may still be a name.
LEAD_INS: frozenset[str] = _words(_FUNCTION_WORDS, _DISCOURSE)

#: Words that make a capitalised run a label or a title ("Key Features", "Best CRM
#: Alternatives", "March 2025", "North America"): a run that starts with one is dropped.
LABELS: frozenset[str] = _words(
    _HEADINGS, _MORE_LABELS, _ACRONYMS, _CALENDAR, _PLACES, _PEOPLE_AND_LANGUAGES
)

NOT_NAMES: frozenset[str] = LEAD_INS | LABELS

#: Words that end a heading or label rather than a name: "Freshsales Pricing" -> "Freshsales".
TRAILING_LABELS: frozenset[str] = _words(
    """
    pricing price prices plans plan features feature overview review reviews comparison
    alternatives alternative integrations pros cons summary conclusion verdict
    """
)
