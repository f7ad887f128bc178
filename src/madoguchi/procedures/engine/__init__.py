"""The form engine of online procedures (電子申請): definitions, conditions, page forms, validation, prefill,
fees and the check-your-answers summary. Plain data in, plain data out: it never touches the procedures
models, so models, views, the API and the staff form builder all share it. Format: docs/form-definition.md.
"""

from .conditions import (
    evaluate,
    is_answered,
    is_page_visible,
    next_page_id,
    previous_page_id,
    visible_fields,
    visible_pages,
)
from .definition import (
    SCHEMA_VERSION,
    Condition,
    DefinitionError,
    DefinitionIssue,
    FieldDef,
    FormDefinition,
    LocalizedText,
    Page,
    UnknownPageError,
    validate_definition,
)
from .examples import load_example
from .fees import FeeError, FeeLine, FeeQuote, FeeTableEntry, compute_fee, unknown_fee_codes
from .forms import ACTION_KEY, PageAction, PageForm, Section, page_form, parse_action
from .postcodes import PostcodeAddress, lookup_postcode
from .prefill import prefill, prefill_with_sources
from .summary import SummaryItem, SummaryRow, SummarySection, display_value, summarise
from .validation import CleanedAnswers, clean_answers, strip_hidden, validate_answers

__all__ = [
    "ACTION_KEY",
    "SCHEMA_VERSION",
    "CleanedAnswers",
    "Condition",
    "DefinitionError",
    "DefinitionIssue",
    "FeeError",
    "FeeLine",
    "FeeQuote",
    "FeeTableEntry",
    "FieldDef",
    "FormDefinition",
    "LocalizedText",
    "Page",
    "PageAction",
    "PageForm",
    "PostcodeAddress",
    "Section",
    "SummaryItem",
    "SummaryRow",
    "SummarySection",
    "UnknownPageError",
    "clean_answers",
    "compute_fee",
    "display_value",
    "evaluate",
    "is_answered",
    "is_page_visible",
    "load_example",
    "lookup_postcode",
    "next_page_id",
    "page_form",
    "parse_action",
    "prefill",
    "prefill_with_sources",
    "previous_page_id",
    "strip_hidden",
    "summarise",
    "unknown_fee_codes",
    "validate_answers",
    "validate_definition",
    "visible_fields",
    "visible_pages",
]
