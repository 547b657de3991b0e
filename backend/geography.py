"""Shenzhen districts and streets: canonical names, aliases, and places named in free text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from backend.regional_facts import District

STREET_SUFFIX = "街道"


@dataclass(frozen=True)
class Place:
    district: Optional[str] = None
    street: Optional[str] = None


class Geography:
    def __init__(self, districts: List[District]) -> None:
        self.districts = districts
        self._district_by_surface: Dict[str, District] = {}
        self._district_of_street: Dict[str, District] = {}
        # (surface text, kind, canonical name); kind orders ties: a district beats a street short form
        self._surfaces: List[Tuple[str, int, str]] = []
        for district in districts:
            for surface in (district.name, *district.aliases):
                self._district_by_surface.setdefault(surface, district)
                self._surfaces.append((surface, 0, district.name))
            for street in district.streets:
                self._district_of_street.setdefault(street, district)
                self._surfaces.append((street, 1, street))
                short = street[: -len(STREET_SUFFIX)] if street.endswith(STREET_SUFFIX) else ""
                if len(short) >= 2:  # "华富街道" is also said "华富"
                    self._surfaces.append((short, 2, street))

    def district(self, text: str) -> Optional[District]:
        """Canonical district for a name or alias ("南山" -> 南山区); None when unknown."""
        return self._district_by_surface.get(text.strip())

    def district_of_street(self, street: str) -> Optional[District]:
        return self._district_of_street.get(street)

    def area_type(self, district_name: str) -> str:
        district = self.district(district_name)
        return district.area_type if district else "urban"

    def find_place(self, text: str) -> Place:
        """District and street named in an address or sentence, longest match first, so that
        "福田区华富街道" gives 福田区 + 华富街道 and not the street short form "福田"."""
        hits: List[Tuple[int, int, int, str]] = []  # (start, end, kind, canonical)
        for surface, kind, canonical in self._surfaces:
            start = text.find(surface)
            while start >= 0:
                hits.append((start, start + len(surface), kind, canonical))
                start = text.find(surface, start + 1)
        hits.sort(key=lambda hit: (-(hit[1] - hit[0]), hit[2], hit[0]))
        taken: List[Tuple[int, int]] = []
        district: Optional[str] = None
        streets: List[str] = []
        for start, end, kind, canonical in hits:
            if any(start < used_end and used_start < end for used_start, used_end in taken):
                continue
            taken.append((start, end))
            if kind == 0:
                district = district or canonical
            elif canonical not in streets:
                streets.append(canonical)
        return self._resolve(district, streets)

    def _resolve(self, district: Optional[str], streets: List[str]) -> Place:
        # A street named together with its own district wins; otherwise the first street found.
        for street in streets:
            if district is None or self._district_of_street[street].name == district:
                return Place(self._district_of_street[street].name, street)
        return Place(district, None)
