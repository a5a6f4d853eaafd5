"""Active learning: a modAL-compatible learner, a loop that saves and resumes, stopping rules,
simulations, results and plots."""

from ._cv import AdaptiveStratifiedKFold
from ._committee import Committee, CommitteeRegressor
from ._learner import ActiveLearner, check_query_result
from ._loop import LOOP_FORMAT_VERSION, ActiveLearningLoop
from ._comparison import (REPRESENTATIONS, SVC_PARAM_GRID, coreset_comparison_arms,
                          make_representation_search, make_svc_search, paper0_arms,
                          representation_arms)
from ._plotting import plot_learning_curves
from ._results import ActiveLearningResults
from ._simulation import Arm, simulate_active_learning
from ._stopping import (AccuracyChange, LabelBudget, MaxUncertainty, StabilizingPredictions,
                        StoppingRule)

__all__ = [
    "AccuracyChange",
    "ActiveLearner",
    "ActiveLearningLoop",
    "ActiveLearningResults",
    "AdaptiveStratifiedKFold",
    "Arm",
    "Committee",
    "CommitteeRegressor",
    "LOOP_FORMAT_VERSION",
    "LabelBudget",
    "MaxUncertainty",
    "REPRESENTATIONS",
    "SVC_PARAM_GRID",
    "StabilizingPredictions",
    "StoppingRule",
    "check_query_result",
    "coreset_comparison_arms",
    "make_representation_search",
    "make_svc_search",
    "paper0_arms",
    "plot_learning_curves",
    "representation_arms",
    "simulate_active_learning",
]
