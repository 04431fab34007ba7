"""Start-up patch for a hot spot in msrest, which botbuilder's ConnectorClient is built on.

`ClientRetryPolicy.__init__` computes `[i for i in range(999) if i not in self.safe_codes]`
against a 500-item *list*: about 500,000 comparisons for every client built. Turning the class
attribute into a frozenset gives the same retry codes at a fraction of the cost. The change is
idempotent and keeps the values; tests compare the resulting policy with the original.
"""

from __future__ import annotations

from msrest.universal_http.requests import ClientRetryPolicy


def apply_msrest_speedups() -> None:
    if not isinstance(ClientRetryPolicy.safe_codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)
