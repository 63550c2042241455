"""The workspace pages' forms: its name, its monthly budget (owners only), a member's role
and an invitation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import UserCreationForm

from monitoring.models import Role

#: The column's limits (``Workspace.monthly_budget_usd``: 10 digits, 2 of them decimals).
BUDGET_MAX_DIGITS, BUDGET_DECIMALS = 10, 2
CENT = Decimal("0.01")
BUDGET_MAX = Decimal(10 ** (BUDGET_MAX_DIGITS - BUDGET_DECIMALS)) - CENT


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, strip=True)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


#: How long an invitation's link may work, in days: the choices of the invitation form.
INVITATION_DAYS = [(1, "1 day"), (7, "7 days"), (30, "30 days")]


class InvitationForm(forms.Form):
    # The least the invitee may do first.
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in (Role.VIEWER, Role.EDITOR, Role.OWNER)],
        initial=Role.VIEWER,
    )
    note = forms.CharField(
        max_length=200,
        required=False,
        strip=True,
        label="Who is it for? (optional)",
        help_text="A name or an email address, so you recognise the invitation in the list. "
        "Only owners see it, and nothing is sent to it.",
    )
    valid_for_days = forms.TypedChoiceField(
        choices=INVITATION_DAYS, coerce=int, initial=7, label="The link works for"
    )

    def clean_valid_for_days(self) -> timedelta:
        return timedelta(days=self.cleaned_data["valid_for_days"])


class DollarField(forms.DecimalField):
    """An amount in dollars as people type it: "250", "99.50", "$1200" (a leading $ is fine)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removeprefix("$").strip()
        return super().to_python(value)


class BudgetForm(forms.Form):
    monthly_budget_usd = DollarField(
        required=False,
        min_value=0,
        max_digits=BUDGET_MAX_DIGITS,
        decimal_places=BUDGET_DECIMALS,
        label="Monthly budget (USD)",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Leave empty for no budget. Posting stops (tasks are held) once this month's "
        "counted spend would pass it.",
        error_messages={
            "invalid": "Enter an amount in dollars, such as 250 or 99.50.",
            "min_value": "A budget cannot be negative. Leave it empty for no budget.",
            "max_decimal_places": "Use at most 2 decimals (whole cents), such as 99.50.",
            "max_digits": f"The largest budget is ${BUDGET_MAX:,}.",
            "max_whole_digits": f"The largest budget is ${BUDGET_MAX:,}.",
        },
    )

    def clean_monthly_budget_usd(self) -> Decimal | None:
        amount = self.cleaned_data["monthly_budget_usd"]
        if amount is None:
            return None
        # "-0" and "1e2" are numbers too; store plain cents (0.00, 100.00).
        cents = amount.quantize(CENT)
        return cents.copy_abs() if cents == 0 else cents


class SignUpForm(UserCreationForm):
    """Django's sign-up form, its password rules said in a sentence rather than a list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rules = password_validation.password_validators_help_texts()
        self.fields["password1"].help_text = " ".join(rules)
        self.fields["username"].help_text = "Letters, digits and @ . + - _ only; at most 150."
