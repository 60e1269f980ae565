"""Licence product names: Microsoft's published table, shipped in m365admin/data/.

Graph names a SKU only by id and part number (`ENTERPRISEPACK`); people know it as
"Office 365 E3". An Administrator's name (LicenceProduct.name) wins over the published one, and
the part number stands in when neither knows the SKU. Names stay as published (English) in
every language: they are product names, and what the Microsoft admin center shows.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "sku-names.csv"
_FREE = re.compile(r"\bfree\b", re.IGNORECASE)


@cache
def published_names() -> dict[str, str]:
    """skuId (lower case) -> product name, read once per process."""
    with NAMES_FILE.open(newline="", encoding="utf-8") as names:
        return {row["skuId"].strip().lower(): row["productName"].strip()
                for row in csv.DictReader(names) if row.get("skuId") and row.get("productName")}


def product_name(sku_id: str, part_number: str, override: str = "") -> str:
    """The name to show: the Administrator's, else Microsoft's, else the part number."""
    return override or published_names().get(sku_id.lower()) or part_number or sku_id


def named_free(name: str) -> bool:
    """A free or self-service product says so in its name ("Microsoft Power Automate Free",
    "Microsoft Fabric (Free)", "Business Apps (free)")."""
    return bool(_FREE.search(name))
