"""Pure allocation algorithms: permuted blocks, list upload, commitment, minimization.

Nothing here imports Django; the services store and lock what these functions compute.
"""

from .blocks import generate_permuted_blocks
from .commitment import canonical_form, commitment, verify
from .minimization import MinimizationDecision, minimization_assign, minimization_sequence
from .spec import AllocationListSpec, Slot
from .upload import (
    UPLOAD_PROBLEM_CODES,
    AllocationUploadError,
    UploadProblem,
    allocation_csv,
    parse_allocation_csv,
)

__all__ = [
    "UPLOAD_PROBLEM_CODES",
    "AllocationListSpec",
    "AllocationUploadError",
    "MinimizationDecision",
    "Slot",
    "UploadProblem",
    "allocation_csv",
    "canonical_form",
    "commitment",
    "generate_permuted_blocks",
    "minimization_assign",
    "minimization_sequence",
    "parse_allocation_csv",
    "verify",
]
