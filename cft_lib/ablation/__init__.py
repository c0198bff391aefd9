"""Ablations: stage functions (build data → train → evaluate), specs, planning, execution."""
