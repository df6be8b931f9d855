"""The question-bank format: load, validate, plan, apply and export (docs/bank-format.md).

Typical use::

    from gradebook.courses.bank import import_bank_files, export_course
    result = import_bank_files(["banks/ai-generation-basics.yaml"], dry_run=True)
    print("\\n".join(result.describe()))
"""

from __future__ import annotations

from gradebook.courses.bank.errors import BankError, BankInvalid
from gradebook.courses.bank.exporting import course_to_bank, export_course
from gradebook.courses.bank.importing import (
    CoursePlan,
    ImportResult,
    bank_import,
    import_bank_files,
    load_documents,
    plan_course,
)
from gradebook.courses.bank.loading import (
    MAX_BANK_BYTES,
    Document,
    parse_bank_bytes,
    read_bank_file,
)

__all__ = [
    "MAX_BANK_BYTES",
    "BankError",
    "BankInvalid",
    "CoursePlan",
    "Document",
    "ImportResult",
    "bank_import",
    "course_to_bank",
    "export_course",
    "import_bank_files",
    "load_documents",
    "parse_bank_bytes",
    "plan_course",
    "read_bank_file",
]
