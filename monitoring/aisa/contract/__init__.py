"""The AIsa / DataForSEO "LLM Responses" contract: the single source of truth.

Every rule of a ``task_post`` request, every status code and what it means for the
caller, and every endpoint path live here. The request-builder form, the API client and
the sandbox all import this module; no rule is written anywhere else.

Pure Python on purpose (no Django import) so the sandbox and scripts can use it too.

The package is split by concern (endpoints, fields, codes, validation); import it whole:
``from monitoring.aisa import contract`` and use ``contract.validate_task`` etc.
"""

from monitoring.aisa.contract.codes import *  # noqa: F403
from monitoring.aisa.contract.endpoints import *  # noqa: F403
from monitoring.aisa.contract.fields import *  # noqa: F403
from monitoring.aisa.contract.validation import *  # noqa: F403
