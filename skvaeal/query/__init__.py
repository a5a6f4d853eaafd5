"""Query strategies following the modAL interface."""
