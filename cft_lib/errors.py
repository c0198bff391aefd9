"""The small exception family: "written wrong" (ConfigError) apart from "broke while running"."""


class CftError(Exception):
    """Base of every error cft-lab raises on purpose."""


class ConfigError(CftError):
    """A spec, profile, option or config value is wrong; the message says where and how to fix it."""


class SpecError(ConfigError):
    """An ablation spec or profile failed validation (all problems are listed at once)."""


class DataError(CftError):
    """A data record or data file cannot be used."""


class BackendError(CftError):
    """A generation backend or teacher endpoint failed."""
