"""Reports: the paper's tables regenerated from the tracking store alone."""
