"""The workspace settings page's forms: its name, and its monthly budget (owners only)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

#: The column's limits (``Workspace.monthly_budget_usd``: 10 digits, 2 of them decimals).
BUDGET_MAX_DIGITS, BUDGET_DECIMALS = 10, 2
CENT = Decimal("0.01")
BUDGET_MAX = Decimal(10 ** (BUDGET_MAX_DIGITS - BUDGET_DECIMALS)) - CENT


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, strip=True)


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
