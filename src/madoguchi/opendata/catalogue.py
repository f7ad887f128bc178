"""Which catalogue a request reads: one municipality's (organizations are its departments) or the
platform-wide one (organizations are the municipalities that publish open data)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django_scopes import scope, scopes_disabled

from madoguchi.core.models import Municipality
from madoguchi.core.selectors import module_is_enabled

from .manifest import KEY


@dataclass
class Catalogue:
    municipality: Municipality | None
    base_url: str  # absolute URL of the catalogue root, no trailing slash: https://host or https://host/uozu
    _municipalities: list[Municipality] | None = field(default=None, repr=False)

    @property
    def is_platform(self) -> bool:
        return self.municipality is None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """The platform catalogue reads across municipalities (published, public data only); a municipality's
        catalogue reads inside its scope (entered here too: on a city's own host name /api/… is unscoped)."""
        with scopes_disabled() if self.municipality is None else scope(municipality=self.municipality):
            yield

    def municipalities(self) -> list[Municipality]:
        """The municipalities this catalogue covers: those with the open data module switched on."""
        if self._municipalities is None:
            candidates = [self.municipality] if self.municipality else list(Municipality.objects.filter(is_active=True))
            self._municipalities = [m for m in candidates if m is not None and module_is_enabled(m, KEY)]
        return self._municipalities

    def package_name(self, dataset_name: str, municipality: Municipality) -> str:
        """Names are unique per municipality; the platform catalogue prefixes the municipality's slug."""
        return f"{municipality.slug}-{dataset_name}" if self.is_platform else dataset_name

    def split_name(self, name: str) -> list[tuple[Municipality, str]]:
        """The (municipality, dataset name) pairs a package name can mean in this catalogue."""
        if not self.is_platform:
            return [(self.municipality, name)] if self.municipality in self.municipalities() else []
        return [(m, name[len(m.slug) + 1 :]) for m in self.municipalities() if name.startswith(m.slug + "-")]
