"""The seed's pipeline steps as functions: the factories that write cfgs and job arrays.

``training_factory`` (step 0), ``benchmark_factory`` (step 2) and ``eval_factory`` (step 4)
write the seed's file layout and return plans whose job arrays any executor of
:mod:`alpacaspot.cluster` can submit, chained with dependencies.

Examples
--------
>>> from alpacaspot.pipeline import training_factory, benchmark_factory, eval_factory
>>> from alpacaspot.cluster import LocalExecutor
>>> ex = LocalExecutor()  # doctest: +SKIP
>>> train = training_factory("tools/train_variants.json")  # doctest: +SKIP
>>> job = ex.submit(train.array)  # doctest: +SKIP
"""

from __future__ import annotations

from alpacaspot.pipeline.benchmark_factory import BenchmarkPlan, benchmark_factory, find_models
from alpacaspot.pipeline.check import CheckReport, Problem, check, require_ok
from alpacaspot.pipeline.clean import clean, plan_clean
from alpacaspot.pipeline.ensembles import combine_ensembles
from alpacaspot.pipeline.eval_factory import EvalPlan, eval_factory
from alpacaspot.pipeline.run import PipelineResult, PipelineSpec, run_pipeline
from alpacaspot.pipeline.training_factory import TrainingPlan, training_factory
from alpacaspot.pipeline.variants import format_tag, load_benchmark_variants, load_train_variants

__all__ = [
    "check",
    "require_ok",
    "CheckReport",
    "Problem",
    "clean",
    "plan_clean",
    "run_pipeline",
    "PipelineSpec",
    "PipelineResult",
    "training_factory",
    "benchmark_factory",
    "eval_factory",
    "TrainingPlan",
    "BenchmarkPlan",
    "EvalPlan",
    "find_models",
    "combine_ensembles",
    "format_tag",
    "load_train_variants",
    "load_benchmark_variants",
]
