"""Fees computed from answers: the definition says which fee codes apply and how many; the municipality's fee
table (手数料条例, passed in as a mapping) says what each costs. Amounts are whole yen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from .conditions import evaluate
from .definition import MAX_FEE_QUANTITY, FormDefinition, LocalizedText, active_language
from .validation import strip_hidden

MAX_UNIT_PRICE = 1_000_000


@dataclass(frozen=True)
class FeeTableEntry:
    """One line of a fee table when more than the price is known (e.g. built from the Fee model)."""

    amount: int
    label: LocalizedText | None = None


class FeeLine(NamedTuple):
    label: str
    unit: int  # yen per item
    quantity: int
    amount: int  # unit × quantity
    code: str


@dataclass(frozen=True)
class FeeQuote:
    total: int
    lines: list[FeeLine]

    @property
    def is_free(self) -> bool:
        return self.total == 0


class FeeError(ValueError):
    """The fee cannot be computed (a code missing from the fee table, a quantity that is not a count)."""


def _unit_price(fee_table: Mapping[str, Any], code: str) -> tuple[int, LocalizedText | None]:
    if code not in fee_table:
        raise FeeError(str(_("手数料表にないコードです。")) + f" ({code})")
    entry = fee_table[code]
    amount, label = (entry.amount, entry.label) if isinstance(entry, FeeTableEntry) else (entry, None)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_UNIT_PRICE:
        raise FeeError(str(_("手数料表の金額が正しくありません。")) + f" ({code})")
    return amount, label


def _quantity(definition: FormDefinition, field_id: str, answers: Mapping[str, Any]) -> int:
    value = answers.get(field_id)
    member = definition.field(field_id)
    if value is None or member is None:
        return 0
    if member.type == "repeated_group":
        if not isinstance(value, list):
            raise FeeError(str(_("数量が正しくありません。")) + f" ({field_id})")
        return len(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEE_QUANTITY:
        raise FeeError(str(_("数量が正しくありません。")) + f" ({field_id})")
    return value


def unknown_fee_codes(definition: FormDefinition, fee_table: Mapping[str, Any]) -> list[str]:
    """Fee codes the definition uses that the fee table does not have (check before publishing)."""
    if definition.fee is None:
        return []
    return sorted({item.code for item in definition.fee.items if item.code not in fee_table})


def compute_fee(
    definition: FormDefinition,
    answers: Mapping[str, Any],
    fee_table: Mapping[str, Any],
    *,
    language: str | None = None,
) -> FeeQuote:
    """The fee for these answers. Hidden fields count for nothing; lines with quantity 0 are left out.

    Raises FeeError when the fee table lacks a code the definition uses: charging nothing by mistake is as
    wrong as charging too much.
    """
    if definition.fee is None:
        return FeeQuote(0, [])
    visible = strip_hidden(definition, answers)
    lines: list[FeeLine] = []
    for item in definition.fee.items:
        unit, table_label = _unit_price(fee_table, item.code)
        if not evaluate(item.condition, visible):
            continue
        quantity = _quantity(definition, item.quantity_field, visible) if item.quantity_field else item.quantity
        if quantity <= 0:
            continue
        label_text = item.label or table_label
        label = label_text.get(active_language(language)) if label_text else item.code
        lines.append(FeeLine(label, unit, quantity, unit * quantity, item.code))
    return FeeQuote(sum(line.amount for line in lines), lines)
