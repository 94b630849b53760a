"""Pure allocation algorithms: permuted blocks, list upload, commitment, minimization.

Nothing here imports Django; the services store and lock what these functions compute.
"""

from .blocks import generate_permuted_blocks
from .commitment import canonical_form, commitment, verify
from .historical import HistoricalLine, historical_commitment, parse_historical_csv
from .minimization import (
    MinimizationDecision,
    minimization_assign,
    minimization_probabilities,
    minimization_sequence,
    virtual_arm_probabilities,
    virtual_arms,
)
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
    "HistoricalLine",
    "MinimizationDecision",
    "Slot",
    "UploadProblem",
    "allocation_csv",
    "canonical_form",
    "commitment",
    "generate_permuted_blocks",
    "historical_commitment",
    "minimization_assign",
    "minimization_probabilities",
    "minimization_sequence",
    "virtual_arm_probabilities",
    "virtual_arms",
    "parse_allocation_csv",
    "parse_historical_csv",
    "verify",
]
