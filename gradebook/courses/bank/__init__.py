"""The question-bank format: load, validate, plan, apply and export (docs/bank-format.md).

Typical use::

    from gradebook.courses.bank import import_bank_files, export_course
    result = import_bank_files(["banks/ai-generation-basics.yaml"], dry_run=True)
    print("\\n".join(result.describe()))

Names are imported lazily (PEP 562) so that ``python -m gradebook.courses.bank.bench`` and the
loader can be imported before Django is set up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "BankError": "errors",
    "BankInvalid": "errors",
    "course_to_bank": "exporting",
    "export_course": "exporting",
    "CoursePlan": "importing",
    "ImportResult": "importing",
    "bank_import": "importing",
    "import_bank_files": "importing",
    "load_documents": "importing",
    "plan_course": "importing",
    "MAX_BANK_BYTES": "loading",
    "Document": "loading",
    "parse_bank_bytes": "loading",
    "read_bank_file": "loading",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
