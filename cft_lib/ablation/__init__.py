"""Ablations: the resolved cell config, specs and profiles, planning, stage functions (build base → build data
→ train → evaluate), execution into MLflow and what the store holds."""
