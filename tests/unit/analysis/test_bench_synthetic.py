"""bench/synthetic.py: complete, consistent data at every visit, accepted by the report job."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from analysis.models import ReportRun
from analysis.services import report_run_execute
from trial.models import Allocation, BaselineData, FormInstance, Participant, Visit
from trial.protocol import get_protocol
from trial.services.crfs import crf_score

# The generator writes with PostgreSQL's COPY, as the benchmark does at 100,000 participants.
pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]

N = 60


def _synthetic():
    path = Path(settings.BASE_DIR) / "bench" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("bench_synthetic", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_synthetic"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch):
    synthetic = _synthetic()
    monkeypatch.setattr(synthetic, "LADDERS", 4)  # smaller answer pools: a faster test
    generator = synthetic.Generator(N, seed=3)
    for _ in range(N):
        generator.participant()
    generator.flush()
    synthetic.fix_sequences()
    return generator


def _data(instance: FormInstance, protocol) -> object:
    model = apps.get_model(protocol.form(instance.form_code).model)
    return model.objects.get(instance=instance)


def test_every_form_instance_has_its_data_row(generated) -> None:
    protocol = get_protocol(settings.EDC_PROTOCOL)
    by_form = Counter(FormInstance.objects.values_list("form_code", flat=True))
    assert set(by_form) >= {"baseline", "vas", "odi", "joa", "sf36", "peld", "discharge"}
    for code, count in by_form.items():
        model = apps.get_model(protocol.form(code).model)
        assert model.objects.filter(instance__form_code=code).count() == count, code


def test_a_done_visit_has_every_applicable_form(generated) -> None:
    protocol = get_protocol(settings.EDC_PROTOCOL)
    arms = dict(Allocation.objects.values_list("participant_id", "arm"))
    done = Visit.objects.filter(status="done")
    assert done.count() > N  # most participants have several visits done
    for visit in done:
        expected = {f.code for f in protocol.forms_for(protocol.visit(visit.code),
                                                       arms.get(visit.participant_id))}  # fmt: skip
        present = set(FormInstance.objects.filter(visit=visit).values_list("form_code", flat=True))
        assert present == expected, visit.code


def test_complete_forms_are_complete_and_scored_as_the_crf_service_would(generated) -> None:
    protocol = get_protocol(settings.EDC_PROTOCOL)
    complete = FormInstance.objects.filter(status="complete").exclude(visit=None)
    assert complete.count() > 5 * N // 2
    for instance in complete:
        formdef = protocol.form(instance.form_code)
        data = _data(instance, protocol)
        fields = [f for f in data._meta.concrete_fields
                  if f.attname not in ("instance_id", "scores", "scorer_version")]  # fmt: skip
        values = {f.attname: getattr(data, f.attname) for f in fields}
        if formdef.instrument in ("odi", "joa", "sf36", "vas"):
            assert all(v is not None for v in values.values()), instance.form_code
        if formdef.instrument:
            assert (data.scores, data.scorer_version) == crf_score(formdef, values)
    bmi = BaselineData.objects.filter(instance__status="complete").first()
    height = float(bmi.height_cm) / 100
    assert float(bmi.bmi) == pytest.approx(float(bmi.weight_kg) / height**2, abs=0.051)


def test_forms_in_progress_lack_answers_and_dates_are_consistent(generated) -> None:
    assert FormInstance.objects.filter(status="in_progress").exists()
    operated = Participant.objects.filter(  # a surgery date among the anchor rows
        anchor_dates__code="surgery", anchor_dates__date__isnull=False
    )
    for p in operated:
        assert p.surgery_date > p.admission_date
        for visit in Visit.objects.filter(participant=p).exclude(target_date=None):
            assert visit.window_start <= visit.target_date <= visit.window_end
    unrandomized = Visit.objects.filter(participant__allocation=None).exclude(code="admission")
    assert not unrandomized.exclude(target_date=None).exists()  # surgery not scheduled yet


def test_the_report_job_runs_on_the_generated_trial(generated, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="bench")
    run = ReportRun.objects.create(
        protocol_code=settings.EDC_PROTOCOL,
        created_by=user,
        population="itt",
        mode="correct",
        blinded_view=False,
    )
    run = report_run_execute(run_id=run.pk)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert run.inputs["n"] == Allocation.objects.count()
    keys = [t["key"] for t in run.result["tables"]]
    assert {"table1", "table2", "table3", "table4", "table5", "adjusted"} <= set(keys)
    table2 = next(t for t in run.result["tables"] if t["key"] == "table2")
    assert any(row.get("p_value") is not None for row in table2["rows"])


def test_canonical_csv_is_byte_for_byte_what_pandas_writes() -> None:
    import numpy as np
    import pandas as pd

    from analysis.datasets.builders import canonical_csv

    rng = np.random.default_rng(1)
    values = [0.1, -0.0, 1e-12, 123456789012.5, 2 / 3, np.nan, np.inf, -np.inf, 7.0]
    frame = pd.DataFrame({
        "participant_id": [f"S01-{i:04d}" for i in range(len(values))],
        "value": values,
        "noise": rng.normal(size=len(values)) * 10.0 ** rng.integers(-8, 8, len(values)),
        "flag": [True, None, False, True, None, False, True, True, None],
        "text": ["a,b", 'quote"d', None, "", "x", "y", "z", "é", "中文"],
    })  # fmt: skip
    expected = frame.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode()
    assert canonical_csv(frame) == expected
